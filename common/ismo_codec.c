/* ismo_codec: the pure codec. Bytes in, messages out, and back; validation of
 * what arrives from the world; enum names. No sockets, no globals, any thread. */
#include "ismo_codec.h"

#include "ismo_time.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void set_why(char *why, size_t why_len, const char *fmt, const char *arg)
{
    if (why && why_len) {
        snprintf(why, why_len, fmt, arg ? arg : "");
    }
}

/* Drop unknown fields (recursively). protobuf-c keeps them verbatim and packs
 * them back, and some of them (field number 0) it would pack into bytes no
 * decoder accepts; a v1 server stores only the fields it knows. */
static void strip_unknown(ProtobufCMessage *m, int depth)
{
    if (!m || depth > 32) {
        return;
    }
    for (unsigned i = 0; i < m->n_unknown_fields; i++) {
        free(m->unknown_fields[i].data);
    }
    free(m->unknown_fields);
    m->unknown_fields = NULL;
    m->n_unknown_fields = 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
            continue;
        }
        char *base = (char *)m;
        if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(uint32_t *)(base + fd->quantifier_offset);
            if (which != fd->id) {
                continue;
            }
        }
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)(base + fd->quantifier_offset);
            ProtobufCMessage **arr = *(ProtobufCMessage ***)(base + fd->offset);
            for (size_t k = 0; k < n; k++) {
                strip_unknown(arr[k], depth + 1);
            }
        } else {
            strip_unknown(*(ProtobufCMessage **)(base + fd->offset), depth + 1);
        }
    }
}

ismo_err ismo_codec_decode_request(const uint8_t *buf, size_t len, size_t max_bytes,
                                   Ismo__V1__Request **req_p, char *why, size_t why_len)
{
    *req_p = NULL;
    if (max_bytes && len > max_bytes) {
        if (why && why_len) {
            snprintf(why, why_len, "frame of %zu bytes exceeds the maximum of %zu bytes", len,
                     max_bytes);
        }
        return ISMO_ERR_TOO_LARGE;
    }
    Ismo__V1__Request *req = ismo__v1__request__unpack(NULL, len, buf);
    if (!req) {
        set_why(why, why_len, "frame is not an ismo.v1.Request (protobuf decode failed)%s", "");
        return ISMO_ERR_PROTOCOL;
    }
    strip_unknown(&req->base, 0);
    if (req->has_protocol && req->protocol > ISMO_PROTOCOL_VERSION) {
        if (why && why_len) {
            snprintf(why, why_len, "protocol version %u not supported (this server speaks %d)",
                     req->protocol, ISMO_PROTOCOL_VERSION);
        }
        ismo__v1__request__free_unpacked(req, NULL);
        return ISMO_ERR_PROTOCOL;
    }
    if (req->body_case == ISMO__V1__REQUEST__BODY__NOT_SET) {
        set_why(why, why_len, "request has no body or an unknown request type%s", "");
        /* keep the request so the caller can echo request_id */
        *req_p = req;
        return ISMO_ERR_PROTOCOL;
    }
    *req_p = req;
    return ISMO_OK;
}

ismo_err ismo_codec_decode_reply(const uint8_t *buf, size_t len, Ismo__V1__Reply **reply_p)
{
    *reply_p = ismo__v1__reply__unpack(NULL, len, buf);
    return *reply_p ? ISMO_OK : ISMO_ERR_PROTOCOL;
}

ismo_err ismo_codec_decode_event(const uint8_t *buf, size_t len, Ismo__V1__Event **event_p)
{
    *event_p = ismo__v1__event__unpack(NULL, len, buf);
    return *event_p ? ISMO_OK : ISMO_ERR_PROTOCOL;
}

ismo_err ismo_codec_pack(const ProtobufCMessage *msg, uint8_t **buf_p, size_t *len_p)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        *buf_p = NULL;
        *len_p = 0;
        return ISMO_ERR_NOMEM;
    }
    protobuf_c_message_pack(msg, buf);
    *buf_p = buf;
    *len_p = len;
    return ISMO_OK;
}

ProtobufCMessage *ismo_codec_copy(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        return NULL;
    }
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

int ismo_id_is_valid(const char *id)
{
    if (!id || !*id) {
        return 0;
    }
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '.' || c == '_' || c == '-' || c == ':')) {
            return 0;
        }
    }
    return n <= ISMO_MAX_ID_BYTES;
}

int ismo_function_is_valid(const char *function)
{
    if (!function || !*function) {
        return 0;
    }
    size_t n = 0;
    for (const char *p = function; *p; p++, n++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'a' && c <= 'z') || isdigit(c) || c == '-' || c == '_')) {
            return 0;
        }
    }
    return n <= ISMO_MAX_FUNCTION_BYTES;
}

static int too_long(const char *s, size_t max) { return s && strlen(s) > max; }

int ismo_utf8_is_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (!s) {
        return 1;
    }
    while (*s) {
        unsigned c = *s;
        int n;
        unsigned min;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        s++;
        for (int i = 0; i < n; i++, s++) {
            if ((*s & 0xc0) != 0x80) {
                return 0;
            }
            c = (c << 6) | (*s & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }
    }
    return 1;
}

static int value_ok(double v) { return isfinite(v) && fabs(v) <= ISMO_MAX_ABS_VALUE; }

static int instant_ok(int has, int64_t ms)
{
    return !has || ms == 0 || (ms >= ISMO_MIN_INSTANT_MS && ms <= ISMO_MAX_INSTANT_MS);
}

static int duration_ok(int has, int64_t ms) { return !has || (ms >= 0 && ms <= ISMO_MAX_DURATION_MS); }

static int enum_ok(const ProtobufCEnumDescriptor *d, int v)
{
    return protobuf_c_enum_descriptor_get_value(d, v) != NULL;
}

/* Reminder offsets: at most ISMO_MAX_OFFSETS, each 0 < offset <= 100 years. */
static int offsets_ok(const int64_t *v, size_t n)
{
    if (n > ISMO_MAX_OFFSETS) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= 0 || v[i] > ISMO_MAX_DURATION_MS) {
            return 0;
        }
    }
    return 1;
}

/* The clause-6.2 fields (tree, not-measurable, review dates, reminders,
 * escalation, value kinds, calendar periods and period targets). */
static ismo_err objective_validate_clause62(const Ismo__V1__Objective *o, char *why, size_t why_len)
{
    if (o->parent_id && *o->parent_id) {
        if (!ismo_id_is_valid(o->parent_id)) {
            set_why(why, why_len, "parent_id '%.80s' is not a valid id (1..64 bytes of A-Z a-z 0-9 . _ - :)",
                    o->parent_id);
            return ISMO_ERR_INVALID;
        }
        if (strcmp(o->parent_id, o->id) == 0) {
            set_why(why, why_len, "objective %.80s cannot be its own parent", o->id);
            return ISMO_ERR_INVALID;
        }
    }
    if (too_long(o->not_measurable_reason, ISMO_MAX_TEXT_BYTES) || !ismo_utf8_is_valid(o->not_measurable_reason)) {
        set_why(why, why_len, "not_measurable_reason longer than 4096 bytes or not valid UTF-8%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->n_review_dates_ms > ISMO_MAX_LIST_FIELD) {
        set_why(why, why_len, "too many review dates (max 1000)%s", "");
        return ISMO_ERR_INVALID;
    }
    for (size_t i = 0; i < o->n_review_dates_ms; i++) {
        if (o->review_dates_ms[i] <= 0 || !instant_ok(1, o->review_dates_ms[i])) {
            set_why(why, why_len, "review dates must be instants between 1970 and 9999 (UTC ms, not 0)%s", "");
            return ISMO_ERR_INVALID;
        }
    }
    if (!offsets_ok(o->reminder_offsets_ms, o->n_reminder_offsets_ms)) {
        set_why(why, why_len, "reminder offsets: at most 16, each more than 0 and at most 100 years%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->has_overdue_repeat_ms && o->overdue_repeat_ms != -1 && o->overdue_repeat_ms != 0 &&
        (o->overdue_repeat_ms < ISMO_MIN_OVERDUE_REPEAT_MS || o->overdue_repeat_ms > ISMO_MAX_DURATION_MS)) {
        set_why(why, why_len,
                "overdue_repeat_ms must be -1 (never), 0 (server default) or a duration from 1 h up to 100 "
                "years%s",
                "");
        return ISMO_ERR_INVALID;
    }
    if (too_long(o->escalate_to, ISMO_MAX_SHORT_BYTES) || !ismo_utf8_is_valid(o->escalate_to)) {
        set_why(why, why_len, "escalate_to longer than 256 bytes or not valid UTF-8%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->metric) {
        const Ismo__V1__Metric *m = o->metric;
        if (m->has_value_kind && !enum_ok(&ismo__v1__value_kind__descriptor, m->value_kind)) {
            set_why(why, why_len, "unknown metric value kind%s", "");
            return ISMO_ERR_INVALID;
        }
        if (m->has_period && !enum_ok(&ismo__v1__calendar_period__descriptor, m->period)) {
            set_why(why, why_len, "unknown metric calendar period%s", "");
            return ISMO_ERR_INVALID;
        }
        if (m->has_value_kind && m->value_kind == ISMO__V1__VALUE_KIND__DURATION && m->unit && *m->unit &&
            strcmp(m->unit, "s") != 0 && strcmp(m->unit, "min") != 0 && strcmp(m->unit, "h") != 0 &&
            strcmp(m->unit, "d") != 0) {
            set_why(why, why_len, "a duration metric's unit is one of s, min, h, d (not '%.40s')", m->unit);
            return ISMO_ERR_INVALID;
        }
    }
    if (o->n_period_targets > ISMO_MAX_LIST_FIELD) {
        set_why(why, why_len, "too many period targets (max 1000)%s", "");
        return ISMO_ERR_INVALID;
    }
    for (size_t i = 0; i < o->n_period_targets; i++) {
        const Ismo__V1__PeriodTarget *pt = o->period_targets[i];
        if (too_long(pt->label, ISMO_MAX_LABEL_BYTES) || !ismo_utf8_is_valid(pt->label)) {
            set_why(why, why_len, "period target label longer than 64 bytes or not valid UTF-8%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!pt->has_from_ms || !pt->has_to_ms || !instant_ok(1, pt->from_ms) || !instant_ok(1, pt->to_ms) ||
            pt->from_ms >= pt->to_ms) {
            set_why(why, why_len, "period target '%.64s' needs from_ms < to_ms, both between 1970 and 9999",
                    pt->label ? pt->label : "");
            return ISMO_ERR_INVALID;
        }
        if (!pt->has_target || !value_ok(pt->target)) {
            set_why(why, why_len, "period target '%.64s' needs a finite target within +-1e15",
                    pt->label ? pt->label : "");
            return ISMO_ERR_INVALID;
        }
    }
    return ISMO_OK;
}

ismo_err ismo_objective_validate(const Ismo__V1__Objective *o, char *why, size_t why_len)
{
    if (!o) {
        set_why(why, why_len, "objective missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!o->id || !*o->id) {
        set_why(why, why_len, "objective id missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!ismo_id_is_valid(o->id)) {
        set_why(why, why_len,
                "objective id '%.80s' invalid: use 1..64 characters of A-Z a-z 0-9 . _ - :", o->id);
        return ISMO_ERR_INVALID;
    }
    if (!o->function || !ismo_function_is_valid(o->function)) {
        set_why(why, why_len,
                "objective function '%.80s' invalid or missing: use 1..64 characters of a-z 0-9 - _",
                o->function);
        return ISMO_ERR_INVALID;
    }
    if (!o->title || !*o->title) {
        set_why(why, why_len, "objective title missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (too_long(o->title, ISMO_MAX_TITLE_BYTES) || too_long(o->owner, ISMO_MAX_SHORT_BYTES)) {
        set_why(why, why_len, "title or owner too long (max 256 bytes)%s", "");
        return ISMO_ERR_INVALID;
    }
    if (too_long(o->description, ISMO_MAX_TEXT_BYTES) ||
        too_long(o->evaluation_method, ISMO_MAX_TEXT_BYTES)) {
        set_why(why, why_len, "description or evaluation method too long (max 4096 bytes)%s", "");
        return ISMO_ERR_INVALID;
    }
    if ((o->has_baseline && !value_ok(o->baseline)) || (o->has_target && !value_ok(o->target))) {
        set_why(why, why_len, "baseline and target must be finite numbers within +-1e15%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!instant_ok(o->has_start_ms, o->start_ms) || !instant_ok(o->has_deadline_ms, o->deadline_ms) ||
        !instant_ok(o->has_baseline_at_ms, o->baseline_at_ms)) {
        set_why(why, why_len, "start, deadline and baseline date must lie between 1970 and 9999%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!duration_ok(o->has_review_cadence_ms, o->review_cadence_ms) ||
        (o->has_review_cadence_ms && o->review_cadence_ms > 0 && o->review_cadence_ms < ISMO_MIN_REVIEW_CADENCE_MS)) {
        set_why(why, why_len, "review cadence must be 0 (none) or from 1 day up to 100 years%s", "");
        return ISMO_ERR_INVALID;
    }
    const char *texts[] = {o->id, o->title, o->description, o->function, o->owner, o->evaluation_method};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (!ismo_utf8_is_valid(texts[i])) {
            set_why(why, why_len, "objective text is not valid UTF-8 (id, title, description, owner or evaluation method)%s", "");
            return ISMO_ERR_INVALID;
        }
    }
    size_t nrefs[3] = {o->n_policy_refs, o->n_risk_refs, o->n_control_refs};
    char **refs[3] = {o->policy_refs, o->risk_refs, o->control_refs};
    for (int r = 0; r < 3; r++) {
        for (size_t i = 0; i < nrefs[r] && i < 1000; i++) {
            if (!ismo_utf8_is_valid(refs[r][i]) || too_long(refs[r][i], ISMO_MAX_SHORT_BYTES)) {
                set_why(why, why_len, "a policy, risk or control reference is not valid UTF-8 or longer than 256 bytes%s", "");
                return ISMO_ERR_INVALID;
            }
        }
    }
    for (size_t i = 0; i < o->n_import_notes && i < 1000; i++) {
        const Ismo__V1__ImportNote *n = o->import_notes[i];
        if (!ismo_utf8_is_valid(n->field) || !ismo_utf8_is_valid(n->text) || !ismo_utf8_is_valid(n->problem) ||
            too_long(n->text, ISMO_MAX_TEXT_BYTES) || too_long(n->field, ISMO_MAX_SHORT_BYTES) ||
            too_long(n->problem, ISMO_MAX_TEXT_BYTES)) {
            set_why(why, why_len, "an import note is not valid UTF-8 or too long%s", "");
            return ISMO_ERR_INVALID;
        }
    }
    if (o->has_level && !enum_ok(&ismo__v1__level__descriptor, o->level)) {
        set_why(why, why_len, "unknown level%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->has_target_mode && !enum_ok(&ismo__v1__target_mode__descriptor, o->target_mode)) {
        set_why(why, why_len, "unknown target mode%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->metric) {
        const Ismo__V1__Metric *m = o->metric;
        if (too_long(m->name, ISMO_MAX_SHORT_BYTES) || too_long(m->unit, ISMO_MAX_SHORT_BYTES)) {
            set_why(why, why_len, "metric name or unit too long%s", "");
            return ISMO_ERR_INVALID;
        }
        if ((m->has_direction && !enum_ok(&ismo__v1__direction__descriptor, m->direction)) ||
            (m->has_aggregation && !enum_ok(&ismo__v1__aggregation__descriptor, m->aggregation))) {
            set_why(why, why_len, "unknown metric direction or aggregation%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!duration_ok(m->has_window_ms, m->window_ms) || !duration_ok(m->has_frequency_ms, m->frequency_ms)) {
            set_why(why, why_len, "metric window and frequency must be 0..100 years%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!ismo_utf8_is_valid(m->name) || !ismo_utf8_is_valid(m->unit)) {
            set_why(why, why_len, "metric name or unit is not valid UTF-8%s", "");
            return ISMO_ERR_INVALID;
        }
    }
    if (o->has_start_ms && o->has_deadline_ms && o->start_ms && o->deadline_ms &&
        o->deadline_ms < o->start_ms) {
        set_why(why, why_len, "deadline is before start%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->has_review_cadence_ms && o->review_cadence_ms < 0) {
        set_why(why, why_len, "review cadence must be >= 0 ms%s", "");
        return ISMO_ERR_INVALID;
    }
    if (o->n_actions > 1000 || o->n_policy_refs > 1000 || o->n_risk_refs > 1000 ||
        o->n_control_refs > 1000 || o->n_import_notes > 1000) {
        set_why(why, why_len, "too many actions or references (max 1000 each)%s", "");
        return ISMO_ERR_INVALID;
    }
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        if (too_long(a->what, ISMO_MAX_TEXT_BYTES) || too_long(a->resources, ISMO_MAX_TEXT_BYTES) ||
            too_long(a->responsible, ISMO_MAX_SHORT_BYTES)) {
            set_why(why, why_len, "action text too long%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!ismo_utf8_is_valid(a->what) || !ismo_utf8_is_valid(a->resources) ||
            !ismo_utf8_is_valid(a->responsible)) {
            set_why(why, why_len, "action text is not valid UTF-8%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!instant_ok(a->has_due_ms, a->due_ms)) {
            set_why(why, why_len, "action due date must lie between 1970 and 9999%s", "");
            return ISMO_ERR_INVALID;
        }
        if (a->has_status && !enum_ok(&ismo__v1__action_status__descriptor, a->status)) {
            set_why(why, why_len, "unknown action status%s", "");
            return ISMO_ERR_INVALID;
        }
        if (too_long(a->id, ISMO_MAX_ID_BYTES) || !ismo_utf8_is_valid(a->id)) {
            set_why(why, why_len, "action id longer than 64 bytes or not valid UTF-8%s", "");
            return ISMO_ERR_INVALID;
        }
        if (!offsets_ok(a->reminder_offsets_ms, a->n_reminder_offsets_ms)) {
            set_why(why, why_len, "action reminder offsets: at most 16, each more than 0 and at most 100 years%s", "");
            return ISMO_ERR_INVALID;
        }
    }
    return objective_validate_clause62(o, why, why_len);
}

ismo_err ismo_sample_validate(const Ismo__V1__Sample *s, char *why, size_t why_len)
{
    if (!s) {
        set_why(why, why_len, "sample missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!s->objective_id || !*s->objective_id) {
        set_why(why, why_len, "sample objective_id missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!ismo_id_is_valid(s->objective_id)) {
        set_why(why, why_len, "sample objective_id '%.80s' is not a valid id", s->objective_id);
        return ISMO_ERR_INVALID;
    }
    if (!s->has_value) {
        set_why(why, why_len, "sample value missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!isfinite(s->value)) {
        set_why(why, why_len, "sample value is %s: values must be finite numbers",
                isnan(s->value) ? "NaN" : "infinite");
        return ISMO_ERR_INVALID;
    }
    if (!value_ok(s->value)) {
        set_why(why, why_len, "sample value out of range: |value| must be <= 1e15%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!instant_ok(s->has_effective_ms, s->effective_ms)) {
        set_why(why, why_len, "sample effective time must lie between 1970 and 9999%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!ismo_utf8_is_valid(s->sample_id) || !ismo_utf8_is_valid(s->source)) {
        set_why(why, why_len, "sample_id or source is not valid UTF-8%s", "");
        return ISMO_ERR_INVALID;
    }
    if (too_long(s->sample_id, ISMO_MAX_SAMPLE_ID_BYTES) || too_long(s->source, ISMO_MAX_SHORT_BYTES)) {
        set_why(why, why_len, "sample_id (max 128 bytes) or source (max 256 bytes) too long%s", "");
        return ISMO_ERR_INVALID;
    }
    if (s->has_total && (!value_ok(s->total) || s->total <= 0)) {
        set_why(why, why_len, "sample total (the 'out of' of a ratio) must be a finite number > 0 and <= 1e15%s", "");
        return ISMO_ERR_INVALID;
    }

    return ISMO_OK;
}

ismo_err ismo_sample_fits_metric(const Ismo__V1__Sample *s, const Ismo__V1__Metric *m, char *why,
                                 size_t why_len)
{
    if (!s || !m) {
        return ISMO_OK;
    }
    int ratio = m->has_aggregation && m->aggregation == ISMO__V1__AGGREGATION__RATIO;
    if (m->has_value_kind && m->value_kind == ISMO__V1__VALUE_KIND__YES_NO && s->value != 0 && s->value != 1) {
        if (why && why_len) {
            snprintf(why, why_len, "sample value %.17g: a yes/no metric takes only 1 (yes) or 0 (no)", s->value);
        }
        return ISMO_ERR_INVALID;
    }
    if (!ratio && s->has_total) {
        set_why(why, why_len,
                "sample has a total, but only a ratio metric (aggregation RATIO) takes one; push the value "
                "alone%s",
                "");
        return ISMO_ERR_INVALID;
    }
    if (ratio) {
        double total = s->has_total ? s->total : 1;
        if (s->value < 0 || s->value > total) {
            if (why && why_len) {
                snprintf(why, why_len,
                         "sample value %.17g of total %.17g: a ratio metric needs 0 <= value <= total "
                         "(total absent = 1)",
                         s->value, total);
            }
            return ISMO_ERR_INVALID;
        }
    }
    return ISMO_OK;
}

/* A context-register id and its texts (shared by policies and risks). */
static ismo_err context_id_ok(const char *what, const char *id, char *why, size_t why_len)
{
    if (!ismo_id_is_valid(id)) {
        if (why && why_len) {
            snprintf(why, why_len, "%s id '%.80s' is missing or not valid (1..64 bytes of A-Z a-z 0-9 . _ - :)",
                     what, id ? id : "");
        }
        return ISMO_ERR_INVALID;
    }
    return ISMO_OK;
}

ismo_err ismo_review_validate(const Ismo__V1__Review *r, char *why, size_t why_len)
{
    if (!r) {
        set_why(why, why_len, "review missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (!ismo_id_is_valid(r->objective_id)) {
        set_why(why, why_len, "review objective_id '%.80s' is missing or not a valid id",
                r->objective_id ? r->objective_id : "");
        return ISMO_ERR_INVALID;
    }
    if (!r->has_decision || r->decision == ISMO__V1__REVIEW_DECISION__REVIEW_DECISION_UNSPECIFIED ||
        !enum_ok(&ismo__v1__review_decision__descriptor, r->decision)) {
        set_why(why, why_len, "review decision missing or unknown (continue, adjust or close)%s", "");
        return ISMO_ERR_INVALID;
    }
    if (too_long(r->note, ISMO_MAX_TEXT_BYTES) || !ismo_utf8_is_valid(r->note)) {
        set_why(why, why_len, "review note longer than 4096 bytes or not valid UTF-8%s", "");
        return ISMO_ERR_INVALID;
    }
    if (r->has_reviewed_ms && (r->reviewed_ms < 0 || !instant_ok(1, r->reviewed_ms))) {
        set_why(why, why_len, "reviewed_ms must be 0 (now) or an instant between 1970 and 9999%s", "");
        return ISMO_ERR_INVALID;
    }
    return ISMO_OK;
}

ismo_err ismo_policy_validate(const Ismo__V1__PolicyCommitment *p, char *why, size_t why_len)
{
    if (!p) {
        set_why(why, why_len, "policy commitment missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (context_id_ok("policy commitment", p->id, why, why_len) != ISMO_OK) {
        return ISMO_ERR_INVALID;
    }
    if (too_long(p->text, ISMO_MAX_TEXT_BYTES) || too_long(p->source, ISMO_MAX_SHORT_BYTES) ||
        !ismo_utf8_is_valid(p->text) || !ismo_utf8_is_valid(p->source)) {
        set_why(why, why_len, "policy commitment %.80s: text (max 4096 bytes) or source (max 256 bytes) too long or not valid UTF-8",
                p->id);
        return ISMO_ERR_INVALID;
    }
    return ISMO_OK;
}

ismo_err ismo_risk_validate(const Ismo__V1__Risk *r, char *why, size_t why_len)
{
    if (!r) {
        set_why(why, why_len, "risk missing%s", "");
        return ISMO_ERR_INVALID;
    }
    if (context_id_ok("risk", r->id, why, why_len) != ISMO_OK) {
        return ISMO_ERR_INVALID;
    }
    const char *texts[] = {r->title, r->rating, r->treatment, r->owner};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (too_long(texts[i], ISMO_MAX_SHORT_BYTES) || !ismo_utf8_is_valid(texts[i])) {
            set_why(why, why_len, "risk %.80s: title, rating, treatment or owner longer than 256 bytes or not valid UTF-8",
                    r->id);
            return ISMO_ERR_INVALID;
        }
    }
    if (r->has_score && !value_ok(r->score)) {
        set_why(why, why_len, "risk %.80s: score must be a finite number within +-1e15", r->id);
        return ISMO_ERR_INVALID;
    }
    return ISMO_OK;
}

/* ---- names ---------------------------------------------------------------- */

/* Lower-case static name tables, so callers get stable storage. */
#define NAME_FN(fn, table)                                                                         \
    const char *fn(int v)                                                                          \
    {                                                                                              \
        if (v < 0 || (size_t)v >= sizeof(table) / sizeof(table[0]) || !table[v]) {                \
            return "unknown";                                                                      \
        }                                                                                          \
        return table[v];                                                                           \
    }

static const char *health_names[] = {"unspecified", "no_data", "on_track", "at_risk",
                                     "off_track",   "achieved", "missed"};
static const char *level_names[] = {"unspecified", "strategic", "tactical", "operational"};
static const char *direction_names[] = {"unspecified", "higher_is_better", "lower_is_better"};
static const char *aggregation_names[] = {"last", "mean", "min", "max", "sum", "count", "ratio", "p95"};
static const char *target_mode_names[] = {"reach", "maintain"};
static const char *action_status_names[] = {"planned", "in_progress", "done", "cancelled"};
static const char *reminder_kind_names[] = {"unspecified",       "deadline_approaching", "overdue",
                                            "metric_stale",      "work_should_start",    "review_due",
                                            "action_due_approaching", "action_overdue"};
static const char *event_topics[] = {"event", "status", "reminder", "objective", "heartbeat", "ack", "review"};
static const char *value_kind_names[] = {"number", "yes_no", "duration"};
static const char *period_names[] = {"none", "day", "week", "month", "quarter", "year"};
static const char *lifecycle_names[] = {"unspecified", "draft", "active", "achieved", "missed", "retired"};
static const char *review_decision_names[] = {"unspecified", "continue", "adjust", "close"};

NAME_FN(ismo_health_name, health_names)
NAME_FN(ismo_level_name, level_names)
NAME_FN(ismo_direction_name, direction_names)
NAME_FN(ismo_aggregation_name, aggregation_names)
NAME_FN(ismo_target_mode_name, target_mode_names)
NAME_FN(ismo_action_status_name, action_status_names)
NAME_FN(ismo_reminder_kind_name, reminder_kind_names)
NAME_FN(ismo_value_kind_name, value_kind_names)
NAME_FN(ismo_period_name, period_names)
NAME_FN(ismo_lifecycle_name, lifecycle_names)
NAME_FN(ismo_review_decision_name, review_decision_names)
const char *ismo_event_kind_topic(int v)
{
    if (v <= 0 || (size_t)v >= sizeof event_topics / sizeof event_topics[0]) {
        return "event";
    }
    return event_topics[v];
}

/* Compare ignoring case and treating '-', ' ' and '_' alike. */
static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = (char)tolower((unsigned char)*a), cb = (char)tolower((unsigned char)*b);
        if (ca == '-' || ca == ' ') {
            ca = '_';
        }
        if (cb == '-' || cb == ' ') {
            cb = '_';
        }
        if (ca != cb) {
            return 0;
        }
    }
    return *a == *b;
}

static int parse_in(const char **table, size_t n, int first, const char *text, int *out)
{
    if (!text) {
        return -1;
    }
    while (isspace((unsigned char)*text)) {
        text++;
    }
    for (size_t i = (size_t)first; i < n; i++) {
        if (table[i] && name_eq(text, table[i])) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

#define N(t) (sizeof(t) / sizeof(t[0]))

int ismo_health_parse(const char *text, int *v) { return parse_in(health_names, N(health_names), 1, text, v); }

int ismo_level_parse(const char *text, int *v) { return parse_in(level_names, N(level_names), 1, text, v); }

int ismo_direction_parse(const char *text, int *v)
{
    if (text && (name_eq(text, "higher") || name_eq(text, "up") || name_eq(text, "increase"))) {
        *v = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
        return 0;
    }
    if (text && (name_eq(text, "lower") || name_eq(text, "down") || name_eq(text, "decrease"))) {
        *v = ISMO__V1__DIRECTION__LOWER_IS_BETTER;
        return 0;
    }
    return parse_in(direction_names, N(direction_names), 1, text, v);
}

int ismo_aggregation_parse(const char *text, int *v)
{
    if (text && (name_eq(text, "avg") || name_eq(text, "average"))) {
        *v = ISMO__V1__AGGREGATION__MEAN;
        return 0;
    }
    return parse_in(aggregation_names, N(aggregation_names), 0, text, v);
}

int ismo_target_mode_parse(const char *text, int *v)
{
    return parse_in(target_mode_names, N(target_mode_names), 0, text, v);
}

int ismo_action_status_parse(const char *text, int *v)
{
    if (text && (name_eq(text, "open") || name_eq(text, "todo"))) {
        *v = ISMO__V1__ACTION_STATUS__PLANNED;
        return 0;
    }
    return parse_in(action_status_names, N(action_status_names), 0, text, v);
}

int ismo_value_kind_parse(const char *text, int *v)
{
    if (text && (name_eq(text, "yes/no") || name_eq(text, "boolean") || name_eq(text, "bool"))) {
        *v = ISMO__V1__VALUE_KIND__YES_NO;
        return 0;
    }
    return parse_in(value_kind_names, N(value_kind_names), 0, text, v);
}

int ismo_period_parse(const char *text, int *v)
{
    if (text && (name_eq(text, "monthly") || name_eq(text, "calendar_month"))) {
        *v = ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH;
        return 0;
    }
    if (text && name_eq(text, "quarterly")) {
        *v = ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER;
        return 0;
    }
    return parse_in(period_names, N(period_names), 0, text, v);
}

int ismo_lifecycle_parse(const char *text, int *v)
{
    return parse_in(lifecycle_names, N(lifecycle_names), 1, text, v);
}

int ismo_review_decision_parse(const char *text, int *v)
{
    return parse_in(review_decision_names, N(review_decision_names), 1, text, v);
}

int ismo_reminder_kind_parse(const char *text, int *v)
{
    return parse_in(reminder_kind_names, N(reminder_kind_names), 1, text, v);
}

int ismo_event_kind_parse(const char *text, int *v)
{
    if (!text) {
        return -1;
    }
    if (name_eq(text, "status") || name_eq(text, "status_changed")) {
        *v = ISMO__V1__EVENT_KIND__STATUS_CHANGED;
    } else if (name_eq(text, "reminder")) {
        *v = ISMO__V1__EVENT_KIND__REMINDER;
    } else if (name_eq(text, "objective") || name_eq(text, "objective_changed")) {
        *v = ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED;
    } else if (name_eq(text, "heartbeat")) {
        *v = ISMO__V1__EVENT_KIND__HEARTBEAT;
    } else if (name_eq(text, "ack") || name_eq(text, "reminder_acked")) {
        *v = ISMO__V1__EVENT_KIND__REMINDER_ACKED;
    } else if (name_eq(text, "review") || name_eq(text, "review_recorded")) {
        *v = ISMO__V1__EVENT_KIND__REVIEW_RECORDED;
    } else {
        return -1;
    }
    return 0;
}

size_t ismo_event_topic(const Ismo__V1__Event *e, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s.%s.%s", ismo_event_kind_topic(e->kind),
                     e->function ? e->function : "", e->objective_id ? e->objective_id : "");
    if (n < 0) {
        return 0;
    }
    return (size_t)n < len ? (size_t)n : len - 1;
}
