#!/bin/sh
# ismo-agent hook: print the event that triggered it on one line to stdout
# (ends up in the agent's log, e.g. `docker logs <agent>`).
printf 'ismo-event seq=%s kind=%s function=%s objective=%s reminder_kind=%s time=%s title="%s" message="%s"\n' \
  "${ISMO_EVENT_SEQ:-}" "${ISMO_EVENT_KIND:-}" "${ISMO_FUNCTION:-}" "${ISMO_OBJECTIVE_ID:-}" \
  "${ISMO_REMINDER_KIND:-}" "${ISMO_EVENT_TIME:-}" "${ISMO_TITLE:-}" "${ISMO_MESSAGE:-}"
