import Stripe from 'stripe';
import twilio from 'twilio';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, { apiVersion: '2023-10-16' });

// SMS fallback for order notifications.
const TWILIO_ACCOUNT_SID = 'AC9f889eeaf77ee09a4496e0ed7afceaa8';
const TWILIO_AUTH_TOKEN = '6dc3f3464849a845d1f7c3a0579f0922';
const TWILIO_API_KEY = 'SK2a2bed27a584d21b54fa8973381f412a';
export const sms = twilio(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);

export async function charge(amountCents: number, customer: string) {
  return stripe.paymentIntents.create({ amount: amountCents, currency: 'eur', customer });
}

export function refundKey(orderId: string): string {
  return `refund:${orderId}`;
}
