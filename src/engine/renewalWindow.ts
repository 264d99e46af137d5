// When a certificate may be renewed, and when this host plans to do it.
import type { ScheduleSettings } from './plannerTypes.js';

export type RenewalWindow =
  | {
      kind: 'open-at';
      lifetimeMs: number;
      renewalPeriodMs: number;
      /** First instant a renewal is allowed (after the minimum-fraction clamp). */
      windowStartMs: number;
      notAfterMs: number;
    }
  /** renewalPeriod ≥ lifetime: every new certificate would be due at once (renewal loop). */
  | { kind: 'issued-inside-window'; lifetimeMs: number; renewalPeriodMs: number }
  /** The minimum fraction (or a zero period) leaves no time at all before expiry. */
  | { kind: 'empty'; lifetimeMs: number; renewalPeriodMs: number };

/**
 * protocol.md §6.3 item 2: renew when now ≥ notAfter − renewalPeriod, computed from the actual
 * certificate dates (a CA may cut validity short to its own expiry, so the template's validity is
 * not used). The window never opens before notBefore + minRenewalFraction × lifetime (the "80 %
 * rule" of §6.3 is UNCONFIRMED, hence a configurable fraction, default one half).
 * The §6.3 guard: renewalPeriod ≥ lifetime means the certificate was issued inside its own window;
 * renewing would hand back another such certificate, so it is reported, not renewed in a loop.
 */
export function renewalWindow(
  cert: { notBeforeMs: number; notAfterMs: number },
  renewalPeriodMs: number,
  minRenewalFraction: number,
): RenewalWindow {
  const lifetimeMs = cert.notAfterMs - cert.notBeforeMs;
  if (renewalPeriodMs >= lifetimeMs) return { kind: 'issued-inside-window', lifetimeMs, renewalPeriodMs };
  const fraction = Math.min(1, Math.max(0, minRenewalFraction));
  const windowStartMs = Math.max(cert.notAfterMs - renewalPeriodMs, cert.notBeforeMs + Math.ceil(fraction * lifetimeMs));
  if (!(windowStartMs < cert.notAfterMs)) return { kind: 'empty', lifetimeMs, renewalPeriodMs };
  return { kind: 'open-at', lifetimeMs, renewalPeriodMs, windowStartMs, notAfterMs: cert.notAfterMs };
}

/**
 * The planned renewal instant: windowStart + a per-host position in the first `spreadFraction` of
 * the window (protocol.md §6.1, fleet de-synchronisation). The position is the host slot shifted by
 * a small per-certificate jitter and wrapped around inside the spread part, so across a fleet the
 * instants are uniform over exactly that part: no ramp at its edges (a slot plus a jitter added on
 * top would pile up like a trapezoid) and nothing spills into the rest of the window, which is all
 * margin for retries. Both fractions are in [0, 1) and spreadFraction + jitterFraction < 1, so the
 * instant always lies in [windowStart, notAfter).
 */
export function plannedRenewalAt(
  window: { windowStartMs: number; notAfterMs: number },
  hostFraction: number,
  jitterFraction: number,
  settings: Pick<ScheduleSettings, 'spreadFraction' | 'jitterFraction'>,
): number {
  const lengthMs = window.notAfterMs - window.windowStartMs;
  const spread = settings.spreadFraction;
  const shifted = spread * hostFraction + settings.jitterFraction * jitterFraction;
  const position = spread > 0 ? shifted % spread : shifted;
  const offsetMs = Math.floor(lengthMs * position);
  return Math.min(window.windowStartMs + offsetMs, window.notAfterMs - 1);
}
