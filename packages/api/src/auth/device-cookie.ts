// OWASP's device cookie ("Slow Down Online Guessing Attacks with Device Cookies"): a browser that
// signed in to an account gets a signed cookie naming a device id and bound to that account. A
// sign-in that brings it is counted against that device's own failure budget, not the account's,
// so a guessing attack from elsewhere, which locks the account for unknown browsers, cannot lock
// its owner out of the browsers they already use.
//
// The cookie holds no e-mail: `<device id>.<HMAC(device id, normalised e-mail)>`, checked against
// the e-mail being signed in to; a cookie from another account, or a forged one, counts as none.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const DEVICE_COOKIE_NAME = "wl_device";
/** A browser stays known for half a year after its last successful sign-in. */
export const DEVICE_COOKIE_MAX_AGE_S = 180 * 86_400;

const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/;

export class DeviceCookies {
  private readonly key: string;

  constructor(secret: string) {
    this.key = createHmac("sha256", secret).update("device-cookie").digest("hex");
  }

  /** A new device id for a browser that just signed in to (or created) the account. */
  issue(email: string): string {
    const deviceId = randomBytes(16).toString("base64url");
    return `${deviceId}.${this.mac(deviceId, email)}`;
  }

  /** The device id when `value` was issued for `email`, else null. */
  deviceOf(value: string | null | undefined, email: string): string | null {
    if (!value || value.length > 100) return null;
    const [deviceId, mac, ...rest] = value.split(".");
    if (!deviceId || !mac || rest.length > 0 || !DEVICE_ID.test(deviceId)) return null;
    const expected = Buffer.from(this.mac(deviceId, email));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) ? deviceId : null;
  }

  private mac(deviceId: string, email: string): string {
    return createHmac("sha256", this.key).update(`${deviceId}:${email}`).digest("base64url");
  }
}
