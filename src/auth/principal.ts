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
 * An id a token names (its subject, its customer): it is recorded in every event's metadata, so it must be text
 * PostgreSQL can store (no NUL, no lone surrogate) and no longer than any id (MAX_ID_LENGTH's ceiling).
 */
const id = z
  .string()
  .min(1)
  .max(600)
  .refine((s) => !unacceptableCharacter(s), 'must be text without control characters or lone surrogates');

/** The claims a token must carry beyond what jose checks (signature, expiry, issuer, audience). */
export const claims = z
  .object({
    sub: id,
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
