// Which canonical file of platform-def/handlers/shared/ each function carries
// a copy of, in its own lib/ (a function directory is zipped on its own and
// must not import anything outside itself).
export const SHARED_FILES = {
  "trade-api": ["aws.mjs", "logger.mjs", "orders.mjs"],
  "trade-processor": ["aws.mjs", "db.mjs", "logger.mjs", "orders.mjs", "retry.mjs"],
  "event-handler": ["aws.mjs", "logger.mjs"],
  "health-monitor": ["aws.mjs", "db.mjs", "logger.mjs"],
  "api-probe": ["aws.mjs", "logger.mjs"],
};

export const FUNCTIONS = Object.keys(SHARED_FILES);
