// Application settings held in SSM Parameter Store, read at run time.
//
// Shared: every function's asset that includes handlers/shared holds it as
// lib/settings.mjs.
//
// Each setting is one String parameter whose name the function's
// environment carries (`max_order_quantity.name`); the function's role may
// ssm:GetParameter exactly those parameters. Values are cached per warm
// container for `ttlMs` (60 s by default), so a changed setting applies
// within a minute without a call per request.
//
// Failing closed: when no value was ever read (a cold start) and SSM cannot
// be reached, or a value does not parse, `get()` throws SettingsUnavailable
// and the caller refuses the request (503). Once read, a value whose
// refresh fails keeps being used for at most `maxStaleMs` (15 minutes by
// default): a short SSM outage does not stop trading on settings that were
// valid a moment ago, and a long one does.

import { GetParameterCommand } from "@aws-sdk/client-ssm";

/** Settings could not be read or did not parse: the request is refused. */
export class SettingsUnavailable extends Error {}

/**
 * A cached reader of the settings `definitions` describes: `{ key: { name,
 * parse } }`, `name` the parameter's name and `parse(text)` the setting's
 * value (throwing on a malformed one). `get()` resolves to `{ key: value }`.
 */
export function createSettings({ ssm, definitions, ttlMs = 60_000, maxStaleMs = 15 * 60_000, now = Date.now, log }) {
  let cached; // { values, readAt }
  let pending;

  async function read() {
    const entries = await Promise.all(
      Object.entries(definitions).map(async ([key, { name, parse }]) => {
        let text;
        try {
          const out = await ssm.send(new GetParameterCommand({ Name: name }));
          text = out.Parameter?.Value;
        } catch (err) {
          throw new SettingsUnavailable(`parameter ${name} could not be read: ${err?.name ?? "Error"}: ${err?.message ?? err}`);
        }
        if (text === undefined) throw new SettingsUnavailable(`parameter ${name} has no value`);
        try {
          return [key, parse(text)];
        } catch (err) {
          throw new SettingsUnavailable(`parameter ${name} holds ${JSON.stringify(text)}: ${err.message}`);
        }
      }),
    );
    return Object.fromEntries(entries);
  }

  async function refresh() {
    try {
      const values = await read();
      cached = { values, readAt: now() };
      return values;
    } catch (err) {
      if (cached && now() - cached.readAt <= maxStaleMs) {
        log?.warn("settings not refreshed; using the last values read", { error: err, ageMs: now() - cached.readAt });
        return cached.values;
      }
      throw err;
    } finally {
      pending = undefined;
    }
  }

  return {
    /** The settings, from the cache while it is fresh. */
    async get() {
      if (cached && now() - cached.readAt < ttlMs) return cached.values;
      // One read at a time: concurrent requests share it.
      pending ??= refresh();
      return pending;
    },
  };
}

const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const SCALE = 8;

/**
 * A decimal string (like an order's quantity) as an integer count of
 * 10^-8 units, exact for the amounts orders carry (NUMERIC(20, 8)).
 */
export function decimalUnits(text) {
  const match = DECIMAL.exec(String(text));
  if (!match) throw new Error("is not a decimal number like \"1000\" or \"0.5\"");
  const fraction = (match[2] ?? ".").slice(1);
  if (fraction.length > SCALE) throw new Error(`has more than ${SCALE} decimal places`);
  return BigInt(match[1]) * 10n ** BigInt(SCALE) + BigInt(fraction.padEnd(SCALE, "0"));
}

/** A positive decimal limit: `"250000"`. */
export function parseLimit(text) {
  const units = decimalUnits(text.trim());
  if (units <= 0n) throw new Error("must be more than 0");
  return { text: text.trim(), units };
}

const CLOCK = /^([01][0-9]|2[0-4]):([0-5][0-9])$/;

function minutesOf(clock) {
  const match = CLOCK.exec(clock);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= 24 * 60 ? minutes : undefined;
}

/**
 * A daily window in UTC, `HH:MM-HH:MM`: `13:30-20:00`; `00:00-24:00` is
 * always open; a window whose end is before its start spans midnight
 * (`22:00-06:00`).
 */
export function parseWindow(text) {
  const [from, to, ...rest] = text.trim().split("-");
  const open = from === undefined ? undefined : minutesOf(from);
  const close = to === undefined ? undefined : minutesOf(to);
  if (rest.length || open === undefined || close === undefined || open === 24 * 60) {
    throw new Error("is not a UTC window like \"13:30-20:00\" (HH:MM-HH:MM, or 00:00-24:00 for always)");
  }
  if (open === close) throw new Error("opens and closes at the same time; write 00:00-24:00 for always open");
  return { text: text.trim(), open, close };
}

/** Whether `window` is open at `date` (UTC). */
export function isOpen(window, date) {
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  return window.open < window.close
    ? minute >= window.open && minute < window.close
    : minute >= window.open || minute < window.close;
}

/** When `window` next opens after `date`, which it is closed at. */
export function nextOpening(window, date) {
  const opening = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 0, window.open));
  if (opening <= date) opening.setUTCDate(opening.getUTCDate() + 1);
  return opening;
}
