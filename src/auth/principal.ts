import { z } from 'zod';
import { unacceptableCharacter } from '../shared/text';

export const ROLES = ['customer', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as a verified token says: made once per HTTP request and once per graphql-ws connection. */
export type Principal = Readonly<{
  /** The user; recorded as the events' `metadata.userId`. */
  sub: string;
  role: Role;
  /** For a customer, the Customer aggregate they are; null for staff and admins. */
  customerId: string | null;
  /** When the token stops being valid (epoch ms); null if it never expires. */
  expiresAt: number | null;
}>;

/**
 * The customer a token names: an aggregate id its reads are scoped by, so text PostgreSQL can store (no NUL, no lone
 * surrogate) and no longer than any id (MAX_ID_LENGTH's ceiling).
 */
const id = z
  .string()
  .min(1)
  .max(600)
  .refine((s) => !unacceptableCharacter(s), 'must be text without control characters or lone surrogates');

/** OpenID Connect's ceiling for a subject (Core 1.0, section 2). */
export const MAX_SUBJECT_LENGTH = 255;

// Letters, marks, digits, punctuation and symbols, none of them default-ignorable: a character shows as itself, so
// the userId an operator reads in an event or a log line is the one that acted. Refused: spaces, controls, format
// characters (bidi overrides, zero-width joiners and spaces, the BOM), invisible fillers, variation selectors, and
// private-use or unassigned code points. One pass, one code point at a time.
const VISIBLE = /^(?:(?!\p{Default_Ignorable_Code_Point})[\p{L}\p{M}\p{N}\p{P}\p{S}])+$/u;

/**
 * The caller the service's own commands are recorded as (metadata.userId), and the scope of their commandIds: no
 * token may name it, or a caller could take a reaction's commandId before the reaction sends it.
 */
export const SYSTEM_USER = 'system';

/** The user a token names: recorded as every event's `metadata.userId`, and shown to people as it is. */
const subject = z
  .string()
  .max(MAX_SUBJECT_LENGTH)
  .regex(VISIBLE, 'must be visible characters only: no spaces, control, format or invisible characters')
  .refine((s) => s !== SYSTEM_USER, `"${SYSTEM_USER}" is the service's own caller: no token may name it`);

/** The claims a token must carry beyond what jose checks (signature, expiry, issuer, audience). */
export const claims = z
  .object({
    sub: subject,
    role: z.enum(ROLES),
    customer_id: id.optional(),
    exp: z.number().optional(),
  })
  .refine((c) => c.role !== 'customer' || c.customer_id !== undefined, {
    message: 'a customer token must carry customer_id',
    path: ['customer_id'],
  });

export function principalFrom(payload: unknown): Principal {
  const c = claims.parse(payload);
  return {
    sub: c.sub,
    role: c.role,
    customerId: c.role === 'customer' ? c.customer_id! : null,
    expiresAt: c.exp === undefined ? null : c.exp * 1000,
  };
}

/** The customer whose data a principal may see, or undefined when it may see everyone's (staff, admin). */
export function ownerScope(principal: Principal): string | undefined {
  return principal.role === 'customer' ? principal.customerId! : undefined;
}
