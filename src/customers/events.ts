export type CustomerRegistered = { type: 'CustomerRegistered'; data: { name: string; email: string } };
export type CustomerDeactivated = { type: 'CustomerDeactivated'; data: { reason?: string } };

export type CustomerEvent = CustomerRegistered | CustomerDeactivated;
export type CustomerEventType = CustomerEvent['type'];

export const CUSTOMER = 'Customer';
