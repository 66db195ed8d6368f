/* fuzz_request: libFuzzer harness for the ROUTER-side decoder. Feeds the bytes
 * to ismo_codec_decode_request exactly as the server receives a frame, then
 * validates every embedded objective and sample, computes topic-free names,
 * and re-packs what decoded (pack -> decode must succeed again). Also feeds
 * the same bytes to the Reply and Event decoders (the client side). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ismo_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Ismo__V1__Request *req = NULL;
    char why[256];
    ismo_err err = ismo_codec_decode_request(data, size, ISMO_DEFAULT_MAX_FRAME_BYTES, &req, why,
                                             sizeof why);
    if (err == ISMO_OK && !req) {
        abort(); /* success must hand back a request */
    }
    if (req) {
        if (req->body_case == ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE && req->put_objective) {
            const Ismo__V1__Objective *o = req->put_objective->objective;
            if (ismo_objective_validate(o, why, sizeof why) == ISMO_OK) {
                (void)ismo_level_name(o->level);
                (void)ismo_target_mode_name(o->target_mode);
                if (o->metric) {
                    (void)ismo_direction_name(o->metric->direction);
                    (void)ismo_aggregation_name(o->metric->aggregation);
                }
            }
        }
        if (req->body_case == ISMO__V1__REQUEST__BODY_PUSH_SAMPLES && req->push_samples) {
            for (size_t i = 0; i < req->push_samples->n_samples; i++) {
                (void)ismo_sample_validate(req->push_samples->samples[i], why, sizeof why);
            }
        }
        if (err == ISMO_OK) {
            uint8_t *buf = NULL;
            size_t len = 0;
            if (ismo_codec_pack(&req->base, &buf, &len) == ISMO_OK) {
                Ismo__V1__Request *again = NULL;
                if (ismo_codec_decode_request(buf, len, 0, &again, why, sizeof why) != ISMO_OK) {
#ifndef ISMO_FUZZ_SKIP_REPACK /* define to hunt for other crashes meanwhile */
                    abort(); /* what we decoded and re-packed must decode */
#endif
                }
                ismo__v1__request__free_unpacked(again, NULL);
                free(buf);
            }
        }
        ismo__v1__request__free_unpacked(req, NULL);
    }
    Ismo__V1__Reply *rep = NULL;
    if (ismo_codec_decode_reply(data, size, &rep) == ISMO_OK) {
        ismo__v1__reply__free_unpacked(rep, NULL);
    }
    Ismo__V1__Event *ev = NULL;
    if (ismo_codec_decode_event(data, size, &ev) == ISMO_OK) {
        char topic[512];
        (void)ismo_event_topic(ev, topic, sizeof topic);
        ismo__v1__event__free_unpacked(ev, NULL);
    }
    return 0;
}
