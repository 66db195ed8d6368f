#!/bin/sh
# ismo-agent hook: log one line per event (stdout, or append to $ISMO_HOOK_LOG).
# The agent sets ISMO_EVENT_SEQ, ISMO_EVENT_KIND, ISMO_FUNCTION,
# ISMO_OBJECTIVE_ID, ISMO_TITLE, ISMO_MESSAGE, ISMO_EVENT_TIME,
# ISMO_REMINDER_KIND, ISMO_DUE, ISMO_OWNER, ISMO_REMINDER_KEY,
# ISMO_REMINDER_REPEAT, ISMO_REMINDER_ESCALATED, ISMO_REMINDER_AUDIENCE,
# ISMO_REMINDER_LATE, ISMO_OLD_HEALTH, ISMO_NEW_HEALTH, ISMO_AGENT_NAME
# (docs/agent.md). Replace this with mail, chat or ticketing.
line="hook: seq=${ISMO_EVENT_SEQ} kind=${ISMO_EVENT_KIND} function=${ISMO_FUNCTION}"
line="${line} objective=${ISMO_OBJECTIVE_ID} reminder=${ISMO_REMINDER_KIND}"
line="${line} due=${ISMO_DUE} owner=${ISMO_OWNER} key=${ISMO_REMINDER_KEY} health=${ISMO_OLD_HEALTH}->${ISMO_NEW_HEALTH}"
line="${line} message=$(printf '%s' "${ISMO_MESSAGE}" | tr '\n' ' ')"
if [ -n "${ISMO_HOOK_LOG}" ]; then
    printf '%s\n' "${line}" >> "${ISMO_HOOK_LOG}"
else
    printf '%s\n' "${line}"
fi
