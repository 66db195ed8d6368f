/* agent_test_helper: a tiny libismo client for tests/agent/agent_test.sh.
 *
 *   agent_test_helper ping   ENDPOINT
 *   agent_test_helper put    ENDPOINT ID FUNCTION DEADLINE_IN_MS [FREQUENCY_MS]
 *   agent_test_helper ids    ENDPOINT ID        (sample ids, one per line, oldest first)
 *   agent_test_helper retire ENDPOINT ID
 *
 * Exit 0 on success, 1 on error (reason on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo.h"

static int fail(const char *what, ismo_client_t *c)
{
    fprintf(stderr, "agent_test_helper: %s: %s\n", what, c ? ismo_client_error(c) : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: agent_test_helper ping|put|ids|retire ENDPOINT ...\n");
        return 1;
    }
    ismo_client_t *c = ismo_client_new(argv[2], "agent-test");
    if (!c) {
        return 1;
    }
    ismo_client_set_timeout_ms(c, 2000);
    Ismo__V1__Reply *reply = NULL;
    int rc = 0;
    if (!strcmp(argv[1], "ping")) {
        rc = ismo_ping(c, &reply) == ISMO_OK ? 0 : fail("ping", c);
    } else if (!strcmp(argv[1], "put") && argc >= 6) {
        int64_t now = ismo_now_ms();
        Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
        Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
        m.name = "value";
        m.unit = "%";
        m.has_direction = 1;
        m.direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
        m.has_aggregation = 1;
        m.aggregation = ISMO__V1__AGGREGATION__LAST;
        if (argc >= 7) {
            m.has_frequency_ms = 1;
            m.frequency_ms = atoll(argv[6]);
        }
        o.id = argv[3];
        o.title = "agent test objective";
        o.function = argv[4];
        o.owner = "tester";
        o.has_level = 1;
        o.level = ISMO__V1__LEVEL__OPERATIONAL;
        o.metric = &m;
        o.has_baseline = 1;
        o.baseline = 0;
        o.has_target = 1;
        o.target = 100;
        o.has_start_ms = 1;
        o.start_ms = now - ISMO_DAY_MS;
        o.has_deadline_ms = 1;
        o.deadline_ms = now + atoll(argv[5]);
        rc = ismo_put_objective(c, &o, &reply) == ISMO_OK ? 0 : fail("put", c);
    } else if (!strcmp(argv[1], "retire") && argc >= 4) {
        ismo_client_set_reason(c, "agent test");
        rc = ismo_retire_objective(c, argv[3], &reply) == ISMO_OK ? 0 : fail("retire", c);
    } else if (!strcmp(argv[1], "ids") && argc >= 4) {
        if (ismo_list_samples(c, argv[3], 0, 0, &reply) != ISMO_OK || !reply->list_samples) {
            rc = fail("list_samples", c);
        } else {
            for (size_t i = 0; i < reply->list_samples->n_samples; i++) {
                const Ismo__V1__Sample *s = reply->list_samples->samples[i];
                printf("%s\n", s->sample_id ? s->sample_id : "");
            }
        }
    } else {
        fprintf(stderr, "agent_test_helper: bad arguments\n");
        rc = 1;
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&c);
    return rc;
}
