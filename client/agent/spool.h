/* spool: a durable first-in first-out queue of samples on local disk
 * (store-and-forward for ismo-agent).
 *
 * Every sample a collector measures is appended here, and is on disk
 * (write + fdatasync) before ismo_spool_append returns, before any attempt
 * to send it. The sender peeks a batch of the oldest samples, pushes it,
 * and acknowledges the batch (ismo_spool_ack) only after the server's reply
 * settled every sample in it; until then the samples stay, across time-outs,
 * crashes and restarts. Re-sending after a crash is harmless: sample ids make
 * pushes idempotent on the server ("duplicates").
 *
 * File format (one file per queue, little-endian):
 *   header, 32 bytes:  "ISMOSPL1" | u64 head offset | u32 CRC-32 of the
 *                      preceding 16 bytes | 12 zero bytes
 *   records from byte 32 on, each:
 *                      u32 payload length | u32 CRC-32 of payload | payload
 *                      (payload: a packed ismo.v1.Sample, <= ISMO_SPOOL_MAX_RECORD_BYTES)
 * The head offset is the first record not yet acknowledged; acknowledging
 * rewrites the header in place (32 bytes, one sector) and syncs it. When
 * every record is acknowledged the file is truncated back to its header;
 * when the acknowledged prefix is large (>= 1 MiB and more than the live
 * records) the live records are copied to PATH.tmp, synced and renamed over
 * the file. Recovery on open: a bad header CRC sets the head to the first
 * record (re-send everything; duplicates are harmless); a torn or corrupt
 * record ends the queue there (the file is truncated, the bytes dropped are
 * logged at ERROR: a record is only torn when the crash came before its
 * append returned, i.e. before the sample was accepted into the spool).
 *
 * Quota: max_bytes bounds the live bytes (records not yet acknowledged,
 * with their 8-byte headers). An append that would exceed it is refused
 * with ISMO_ERR_FULL and counted (ismo_spool_refused); samples already in
 * the spool are never dropped to make room.
 *
 * Not thread-safe; one process per file (the agent locks its state_dir). */
#ifndef ISMO_AGENT_SPOOL_H
#define ISMO_AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ismo/v1/objective.pb-c.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISMO_SPOOL_HEADER_BYTES 32
#define ISMO_SPOOL_RECORD_HEADER_BYTES 8
#define ISMO_SPOOL_MAX_RECORD_BYTES 16384

typedef struct ismo_spool ismo_spool_t;
typedef struct ismo_spool_batch ismo_spool_batch_t;

/* Open (creating if missing) the queue in file path, recovering as above.
 * max_bytes: quota on live bytes; 0 = no limit.
 * Errors: ISMO_ERR_IO (cannot create/read/write; reason logged),
 * ISMO_ERR_NOMEM. A file that is not a spool (bad magic) is renamed to
 * PATH.corrupt-<UTC ms> (logged at ERROR) and a new spool is started.
 * On success *self_p is owned by the caller: ismo_spool_destroy. */
ismo_err ismo_spool_open(const char *path, uint64_t max_bytes, ismo_spool_t **self_p);

/* Close the file and free; sets *self_p to NULL; safe on NULL. Nothing is
 * lost: everything appended is already on disk. */
void ismo_spool_destroy(ismo_spool_t **self_p);

/* Append one sample (packed as given; borrowed). With sync != 0 the record
 * is on disk (fdatasync) when this returns ISMO_OK; with sync == 0 the
 * caller must call ismo_spool_sync before relying on it (used to append
 * many records with one sync).
 * Errors: ISMO_ERR_FULL (quota; counted, nothing written), ISMO_ERR_INVALID
 * (packed sample above ISMO_SPOOL_MAX_RECORD_BYTES), ISMO_ERR_IO (the
 * partial write is truncated away; the spool stays consistent). */
ismo_err ismo_spool_append(ismo_spool_t *self, const Ismo__V1__Sample *sample, int sync);

/* fdatasync the file. ISMO_OK or ISMO_ERR_IO. */
ismo_err ismo_spool_sync(ismo_spool_t *self);

/* Records appended and not yet acknowledged. */
uint64_t ismo_spool_count(const ismo_spool_t *self);
/* Their bytes, record headers included (what the quota counts). */
uint64_t ismo_spool_live_bytes(const ismo_spool_t *self);
/* Size of the file, bytes (live bytes + header + acknowledged prefix). */
uint64_t ismo_spool_file_bytes(const ismo_spool_t *self);
/* Appends refused by the quota since open. */
uint64_t ismo_spool_refused(const ismo_spool_t *self);
/* Change the quota (0 = none); takes effect on the next append. */
void ismo_spool_set_max_bytes(ismo_spool_t *self, uint64_t max_bytes);
/* The file path (borrowed, valid until destroy). */
const char *ismo_spool_path(const ismo_spool_t *self);

/* A reusable batch: holds up to max_n decoded samples peeked from a spool.
 * Decoding uses an arena kept across peeks, so a steady state allocates
 * nothing per sample. NULL on allocation failure. */
ismo_spool_batch_t *ismo_spool_batch_new(void);
void ismo_spool_batch_destroy(ismo_spool_batch_t **self_p);

/* Fill batch with the oldest up to max_n (>= 1) unacknowledged samples, in
 * append order. The samples are valid until the next peek into this batch
 * or its destroy; they are not removed from the spool. A record that passes
 * its CRC but is not a Sample is logged at ERROR and skipped (it is covered
 * by the batch's acknowledgement). ISMO_OK (count may be 0), ISMO_ERR_IO. */
ismo_err ismo_spool_peek(ismo_spool_t *self, ismo_spool_batch_t *batch, size_t max_n);

size_t ismo_spool_batch_count(const ismo_spool_batch_t *batch);
/* Borrowed array of ismo_spool_batch_count samples. */
Ismo__V1__Sample **ismo_spool_batch_samples(ismo_spool_batch_t *batch);

/* Remove the batch's records from the spool, durably (the header is synced
 * before this returns). The batch must be the latest peek of self and
 * nothing else may have been acknowledged since (asserted). May compact the
 * file. ISMO_OK or ISMO_ERR_IO (then the records count as not acknowledged
 * and will be peeked again). */
ismo_err ismo_spool_ack(ismo_spool_t *self, ismo_spool_batch_t *batch);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes, continuing from crc
 * (start with 0). Exposed for tests. */
uint32_t ismo_spool_crc32(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
