import { z } from 'zod';
import { NONCE_PATTERN } from '../auth/oauth_state.js';

/** `GET /api/auth/discord?nonce=`: the panel tab's login nonce, handed back with the token. */
export const loginQuery = z.object({
  nonce: z
    .string()
    .regex(NONCE_PATTERN, 'must be 16 to 128 base64url characters (the panel creates it)')
    .optional(),
});

/** What Discord sends back to the callback. */
export const callbackQuery = z.object({
  code: z.string().min(1).max(512).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});
