/* ismo_codec: bytes <-> ismo.v1 messages, validation and names.
 *
 * A pure module: it never touches a socket, so tests and fuzzers feed it
 * bytes directly. Decoded messages are allocated by protobuf-c; free them
 * with the matching ismo__v1__*__free_unpacked(msg, NULL). Encoded buffers
 * are malloc'ed; the caller frees them with free().
 * Wire rules: docs/protocol.md. */
#ifndef ISMO_CODEC_H
#define ISMO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ismo/v1/api.pb-c.h"
#include "ismo/v1/event.pb-c.h"
#include "ismo/v1/objective.pb-c.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Protocol version this build speaks (Request.protocol). */
#define ISMO_PROTOCOL_VERSION 1

/* Default maximum frame size accepted on the ROUTER socket, bytes. */
#define ISMO_DEFAULT_MAX_FRAME_BYTES (4u * 1024u * 1024u)
/* Default maximum samples in one PushSamples batch. */
#define ISMO_DEFAULT_MAX_BATCH 10000u

/* Largest magnitude of a metric value, baseline or target (docs/protocol.md
 * "Limits"): keeps sums and progress finite. */
#define ISMO_MAX_ABS_VALUE 1e15

/* Limits on strings, bytes (docs/protocol.md "Limits"). */
#define ISMO_MAX_ID_BYTES 64
#define ISMO_MAX_FUNCTION_BYTES 64
#define ISMO_MAX_TITLE_BYTES 256
#define ISMO_MAX_TEXT_BYTES 4096
#define ISMO_MAX_SAMPLE_ID_BYTES 128
#define ISMO_MAX_SHORT_BYTES 256
#define ISMO_MAX_LABEL_BYTES 64   /* PeriodTarget.label */
/* Most reminder offsets per objective or action (Objective.reminder_offsets_ms). */
#define ISMO_MAX_OFFSETS 16
/* Shortest OVERDUE repeat period (Objective.overdue_repeat_ms, ismod's
 * overdue_repeat_ms): 1 h, so a repeat cannot flood the event log. */
#define ISMO_MIN_OVERDUE_REPEAT_MS INT64_C(3600000)
/* Shortest review cadence (Objective.review_cadence_ms, 0 = none): 1 day, so
 * REVIEW_DUE cannot flood the event log. */
#define ISMO_MIN_REVIEW_CADENCE_MS INT64_C(86400000)
/* Most entries of a repeated field of an objective (actions, references,
 * review dates, period targets). */
#define ISMO_MAX_LIST_FIELD 1000

/* Decode a Request frame of len bytes. Frames over max_bytes give
 * ISMO_ERR_TOO_LARGE; bytes that are not a Request, a Request without a body,
 * or a protocol version above ISMO_PROTOCOL_VERSION give ISMO_ERR_PROTOCOL.
 * Unknown fields are dropped (a v1 server keeps only what it knows).
 * On error why (if not NULL) holds a one-line reason and *req_p is NULL,
 * except for a decodable Request without a body: then *req_p is set so the
 * caller can echo its request_id, and the caller frees it.
 * On success the caller owns *req_p (free with ismo__v1__request__free_unpacked). */
ismo_err ismo_codec_decode_request(const uint8_t *buf, size_t len, size_t max_bytes,
                                   Ismo__V1__Request **req_p, char *why, size_t why_len);

/* Decode a Reply frame; as above (ISMO_ERR_PROTOCOL for garbage). */
ismo_err ismo_codec_decode_reply(const uint8_t *buf, size_t len, Ismo__V1__Reply **reply_p);

/* Decode an Event (PUB frame 2 or stored record). */
ismo_err ismo_codec_decode_event(const uint8_t *buf, size_t len, Ismo__V1__Event **event_p);

/* Pack any protobuf-c message into a malloc'ed buffer; caller frees *buf_p.
 * ISMO_ERR_NOMEM on allocation failure. */
ismo_err ismo_codec_pack(const ProtobufCMessage *msg, uint8_t **buf_p, size_t *len_p);

/* 1 if the NUL-terminated s (NULL allowed) is valid UTF-8, else 0. */
int ismo_utf8_is_valid(const char *s);

/* A deep copy of m (pack, then unpack with m's descriptor), so a message
 * borrowed for the length of a callback can be kept. The caller frees it with
 * protobuf_c_message_free_unpacked(copy, NULL) or the typed *_free_unpacked.
 * NULL when out of memory. */
ProtobufCMessage *ismo_codec_copy(const ProtobufCMessage *m);

/* Check an objective as received in PutObjective: id syntax and length,
 * function syntax, string lengths and UTF-8, baseline/target finite and within
 * +-ISMO_MAX_ABS_VALUE, instants within 1970..9999 (ismo_time.h), durations
 * within 0..100 years, deadline after start when both set, known enum values.
 * Clause-6.2 fields: parent_id a valid id and not the objective's own id
 * (cycles need the store: ismod checks them); review dates instants (not 0);
 * reminder offsets (objective and actions) at most ISMO_MAX_OFFSETS, each
 * 0 < offset <= 100 years; overdue_repeat_ms -1, 0 or a duration of at least
 * ISMO_MIN_OVERDUE_REPEAT_MS (1 h) and up to 100 years; review_cadence_ms 0
 * (none) or from ISMO_MIN_REVIEW_CADENCE_MS (1 day) up to 100
 * years; escalate_to and not_measurable_reason lengths and UTF-8; value kind
 * and calendar period known (a DURATION metric's unit is s, min, h or d);
 * period targets: label <= 64 bytes, from_ms < to_ms, finite target; action
 * ids <= 64 bytes. Server-set fields (version, lifecycle, smart_gaps, ...)
 * are not checked: ismod overwrites them. Returns ISMO_OK or ISMO_ERR_INVALID
 * with a one-line reason in why. */
ismo_err ismo_objective_validate(const Ismo__V1__Objective *o, char *why, size_t why_len);

/* Check a sample: objective id present and well-formed, value present,
 * finite (no NaN/infinity) and within +-ISMO_MAX_ABS_VALUE, effective time
 * within 1970..9999, sample id and source lengths and UTF-8, total (when
 * present) finite, > 0 and within ISMO_MAX_ABS_VALUE.
 * ISMO_ERR_INVALID + why. */
ismo_err ismo_sample_validate(const Ismo__V1__Sample *s, char *why, size_t why_len);

/* Check a sample (already passed ismo_sample_validate) against the metric it
 * is pushed for (m may be NULL: no metric, no rule): a YES_NO metric takes
 * only 0 (no) or 1 (yes); a RATIO metric takes 0 <= value <= total (total
 * absent = 1); a total on a metric that is not RATIO is refused (it would be
 * ignored). ISMO_ERR_INVALID + why naming the rule. */
ismo_err ismo_sample_fits_metric(const Ismo__V1__Sample *s, const Ismo__V1__Metric *m, char *why,
                                 size_t why_len);

/* Check a Review as received in AddReview (ISO/IEC 27001:2022 9.3):
 * objective_id a valid id, decision CONTINUE, ADJUST or CLOSE, note <= 4096
 * bytes of UTF-8, reviewed_ms 0 (= now) or an instant within 1970..9999 (the
 * "not in the future" rule needs the server clock: ismod checks it).
 * ismod-set fields are not checked. ISMO_ERR_INVALID + why. */
ismo_err ismo_review_validate(const Ismo__V1__Review *r, char *why, size_t why_len);

/* Check a PolicyCommitment (6.2 a) or a Risk (6.2 c) of PutContext: id as
 * for objectives, texts UTF-8 (policy text <= 4096 bytes, the other strings
 * <= 256), risk score finite within +-1e15. ISMO_ERR_INVALID + why. */
ismo_err ismo_policy_validate(const Ismo__V1__PolicyCommitment *p, char *why, size_t why_len);
ismo_err ismo_risk_validate(const Ismo__V1__Risk *r, char *why, size_t why_len);

/* 1 if id is 1..ISMO_MAX_ID_BYTES of [A-Za-z0-9._:-], else 0. */
int ismo_id_is_valid(const char *id);

/* 1 if function is 1..ISMO_MAX_FUNCTION_BYTES of [a-z0-9_-], else 0. */
int ismo_function_is_valid(const char *function);

/* Names of enum values as used on the command line, in YAML and in JSON:
 * lower-case ("on_track", "higher_is_better", "strategic", "deadline_approaching").
 * Unknown values give "unknown". Parsers accept those names in any case, with
 * '-' or '_' or ' ', and return 0, or -1 for unknown text. */
const char *ismo_health_name(int health);
int ismo_health_parse(const char *text, int *health);
const char *ismo_level_name(int level);
int ismo_level_parse(const char *text, int *level);
const char *ismo_direction_name(int direction);
int ismo_direction_parse(const char *text, int *direction);
const char *ismo_aggregation_name(int aggregation);
int ismo_aggregation_parse(const char *text, int *aggregation);
const char *ismo_target_mode_name(int mode);
int ismo_target_mode_parse(const char *text, int *mode);
const char *ismo_action_status_name(int status);
int ismo_action_status_parse(const char *text, int *status);
const char *ismo_reminder_kind_name(int kind);
int ismo_reminder_kind_parse(const char *text, int *kind);
const char *ismo_value_kind_name(int kind);     /* "number", "yes_no", "duration" */
int ismo_value_kind_parse(const char *text, int *kind);
const char *ismo_period_name(int period);       /* "none", "day", "week", "month", "quarter", "year" */
int ismo_period_parse(const char *text, int *period);
const char *ismo_lifecycle_name(int lifecycle); /* "draft", "active", "achieved", "missed", "retired" */
int ismo_lifecycle_parse(const char *text, int *lifecycle);
const char *ismo_review_decision_name(int decision); /* "continue", "adjust", "close" */
int ismo_review_decision_parse(const char *text, int *decision);
/* Event kind topic word: "status", "reminder", "objective", "heartbeat", "ack", "review";
 * "event" if unknown. */
const char *ismo_event_kind_topic(int kind);
/* Parse a topic word or a kind name ("reminder", "status_changed", ...). */
int ismo_event_kind_parse(const char *text, int *kind);

/* Write the PUB topic "<kind>.<function>.<objective_id>" of e into buf.
 * Returns the length written (truncated to len-1). */
size_t ismo_event_topic(const Ismo__V1__Event *e, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
