/* spool: durable FIFO of samples in one append-only file (format: spool.h).
 *
 * Owns: its file descriptor, the in-memory head/end offsets and counters, a
 * scratch buffer for packing and reading records. Does not own: what is
 * done with peeked samples (agent.c decides: ack, park, reject), networking,
 * the quota policy across queues (the agent may move max_bytes). Runs on the
 * agent's one thread. The only module that knows the spool file format. */
#include "spool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ismo_log.h"
#include "ismo_time.h"

#define SPOOL_MAGIC "ISMOSPL1"
/* Compact when the acknowledged prefix is at least this large ... */
#define SPOOL_COMPACT_MIN_BYTES (1u << 20)
/* Arena block for decoded samples. */
#define ARENA_BLOCK_BYTES 65536

struct ismo_spool {
    char *path;
    int fd;
    uint64_t head;       /* offset of the first unacknowledged record */
    uint64_t end;        /* offset after the last record (= file size) */
    uint64_t count;      /* records in [head, end) */
    uint64_t max_bytes;  /* quota on end - head; 0 = none */
    uint64_t refused;
    uint8_t *scratch;    /* ISMO_SPOOL_RECORD_HEADER_BYTES + ISMO_SPOOL_MAX_RECORD_BYTES */
};

/* ---- CRC-32 ----------------------------------------------------------------- */

static uint32_t crc_table[256];
static int crc_ready;

uint32_t ismo_spool_crc32(uint32_t crc, const void *buf, size_t len)
{
    if (!crc_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            crc_table[i] = c;
        }
        crc_ready = 1;
    }
    const uint8_t *p = buf;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

/* ---- file helpers ----------------------------------------------------------- */

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Returns bytes read (short only at end of file), or -1. */
static ssize_t pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        return;
    }
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(copy);
}

static void header_encode(uint8_t *h, uint64_t head)
{
    memset(h, 0, ISMO_SPOOL_HEADER_BYTES);
    memcpy(h, SPOOL_MAGIC, 8);
    put_u64(h + 8, head);
    put_u32(h + 16, ismo_spool_crc32(0, h, 16));
}

static int write_header(ismo_spool_t *self, uint64_t head)
{
    uint8_t h[ISMO_SPOOL_HEADER_BYTES];
    header_encode(h, head);
    if (pwrite_all(self->fd, h, sizeof h, 0) != 0 || fdatasync(self->fd) != 0) {
        ISMO_ERROR("spool", "%s: cannot write header: %s", self->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Create a fresh, empty spool file at path (via path.tmp + rename). */
static int create_empty(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    uint8_t h[ISMO_SPOOL_HEADER_BYTES];
    header_encode(h, ISMO_SPOOL_HEADER_BYTES);
    int rc = pwrite_all(fd, h, sizeof h, 0);
    if (rc == 0) {
        rc = fsync(fd);
    }
    close(fd);
    if (rc == 0) {
        rc = rename(tmp, path);
    }
    if (rc == 0) {
        sync_parent_dir(path);
    } else {
        unlink(tmp);
    }
    return rc;
}

/* Read the record at off into self->scratch. Returns the payload length,
 * 0 at a clean end of file, or -1 for a torn/corrupt record (or I/O error). */
static long read_record(ismo_spool_t *self, uint64_t off, uint64_t file_end)
{
    if (off == file_end) {
        return 0;
    }
    if (file_end - off < ISMO_SPOOL_RECORD_HEADER_BYTES) {
        return -1;
    }
    uint8_t *h = self->scratch;
    if (pread_all(self->fd, h, ISMO_SPOOL_RECORD_HEADER_BYTES, off) !=
        ISMO_SPOOL_RECORD_HEADER_BYTES) {
        return -1;
    }
    uint32_t len = get_u32(h);
    uint32_t crc = get_u32(h + 4);
    if (len == 0 || len > ISMO_SPOOL_MAX_RECORD_BYTES ||
        file_end - off - ISMO_SPOOL_RECORD_HEADER_BYTES < len) {
        return -1;
    }
    uint8_t *payload = self->scratch + ISMO_SPOOL_RECORD_HEADER_BYTES;
    if (pread_all(self->fd, payload, len, off + ISMO_SPOOL_RECORD_HEADER_BYTES) != (ssize_t)len) {
        return -1;
    }
    if (ismo_spool_crc32(0, payload, len) != crc) {
        return -1;
    }
    return (long)len;
}

/* ---- open / destroy ---------------------------------------------------------- */

ismo_err ismo_spool_open(const char *path, uint64_t max_bytes, ismo_spool_t **self_p)
{
    *self_p = NULL;
    ismo_spool_t *self = calloc(1, sizeof *self);
    if (!self) {
        return ISMO_ERR_NOMEM;
    }
    self->fd = -1;
    self->max_bytes = max_bytes;
    self->path = strdup(path);
    self->scratch = malloc(ISMO_SPOOL_RECORD_HEADER_BYTES + ISMO_SPOOL_MAX_RECORD_BYTES);
    if (!self->path || !self->scratch) {
        ismo_spool_destroy(&self);
        return ISMO_ERR_NOMEM;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp); /* an interrupted compaction: the original is intact */

    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0) {
        if (create_empty(path) != 0) {
            ISMO_ERROR("spool", "%s: cannot create: %s", path, strerror(errno));
            ismo_spool_destroy(&self);
            return ISMO_ERR_IO;
        }
    }
    self->fd = open(path, O_RDWR | O_CLOEXEC);
    if (self->fd < 0 || fstat(self->fd, &st) != 0) {
        ISMO_ERROR("spool", "%s: cannot open: %s", path, strerror(errno));
        ismo_spool_destroy(&self);
        return ISMO_ERR_IO;
    }
    uint8_t h[ISMO_SPOOL_HEADER_BYTES];
    uint64_t size = (uint64_t)st.st_size;
    if (size < ISMO_SPOOL_HEADER_BYTES || pread_all(self->fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
        memcmp(h, SPOOL_MAGIC, 8) != 0) {
        char aside[4200];
        snprintf(aside, sizeof aside, "%s.corrupt-%lld", path, (long long)ismo_now_ms());
        ISMO_ERROR("spool", "%s is not a spool file (bad header); moved aside to %s, starting empty",
                   path, aside);
        close(self->fd);
        self->fd = -1;
        if (rename(path, aside) != 0 || create_empty(path) != 0 ||
            (self->fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
            ISMO_ERROR("spool", "%s: cannot start a new spool: %s", path, strerror(errno));
            ismo_spool_destroy(&self);
            return ISMO_ERR_IO;
        }
        size = ISMO_SPOOL_HEADER_BYTES;
        header_encode(h, ISMO_SPOOL_HEADER_BYTES);
    }
    uint64_t head = get_u64(h + 8);
    if (ismo_spool_crc32(0, h, 16) != get_u32(h + 16) || head < ISMO_SPOOL_HEADER_BYTES) {
        ISMO_WARN("spool", "%s: header checksum bad; re-sending every record (the server drops "
                  "duplicates)", path);
        head = ISMO_SPOOL_HEADER_BYTES;
    }
    if (head > size) {
        /* crash between truncation and header rewrite: all was acknowledged */
        head = size;
    }
    /* scan the live records; stop at the first torn or corrupt one */
    uint64_t off = head;
    uint64_t count = 0;
    for (;;) {
        long len = read_record(self, off, size);
        if (len == 0) {
            break;
        }
        if (len < 0) {
            ISMO_ERROR("spool", "%s: torn or corrupt record at offset %llu; dropping the last "
                       "%llu bytes (a record not completely written before a crash)",
                       path, (unsigned long long)off, (unsigned long long)(size - off));
            if (ftruncate(self->fd, (off_t)off) != 0 || fdatasync(self->fd) != 0) {
                ISMO_ERROR("spool", "%s: cannot truncate: %s", path, strerror(errno));
                ismo_spool_destroy(&self);
                return ISMO_ERR_IO;
            }
            size = off;
            break;
        }
        off += ISMO_SPOOL_RECORD_HEADER_BYTES + (uint64_t)len;
        count++;
    }
    self->head = head;
    self->end = size;
    self->count = count;
    if (count == 0 && size > ISMO_SPOOL_HEADER_BYTES) {
        if (ftruncate(self->fd, ISMO_SPOOL_HEADER_BYTES) != 0 ||
            write_header(self, ISMO_SPOOL_HEADER_BYTES) != 0) {
            ismo_spool_destroy(&self);
            return ISMO_ERR_IO;
        }
        self->head = self->end = ISMO_SPOOL_HEADER_BYTES;
    }
    if (count > 0) {
        ISMO_INFO("spool", "%s: %llu samples (%llu bytes) waiting from before", path,
                  (unsigned long long)count, (unsigned long long)(self->end - self->head));
    }
    *self_p = self;
    return ISMO_OK;
}

void ismo_spool_destroy(ismo_spool_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_spool_t *self = *self_p;
    if (self->fd >= 0) {
        close(self->fd);
    }
    free(self->path);
    free(self->scratch);
    free(self);
    *self_p = NULL;
}

/* ---- append ------------------------------------------------------------------ */

ismo_err ismo_spool_append(ismo_spool_t *self, const Ismo__V1__Sample *sample, int sync)
{
    size_t len = protobuf_c_message_get_packed_size((const ProtobufCMessage *)sample);
    if (len == 0 || len > ISMO_SPOOL_MAX_RECORD_BYTES) {
        return ISMO_ERR_INVALID;
    }
    uint64_t rec = ISMO_SPOOL_RECORD_HEADER_BYTES + len;
    if (self->max_bytes && (self->end - self->head) + rec > self->max_bytes) {
        self->refused++;
        return ISMO_ERR_FULL;
    }
    uint8_t *payload = self->scratch + ISMO_SPOOL_RECORD_HEADER_BYTES;
    protobuf_c_message_pack((const ProtobufCMessage *)sample, payload);
    put_u32(self->scratch, (uint32_t)len);
    put_u32(self->scratch + 4, ismo_spool_crc32(0, payload, len));
    if (pwrite_all(self->fd, self->scratch, (size_t)rec, self->end) != 0 ||
        (sync && fdatasync(self->fd) != 0)) {
        ISMO_ERROR("spool", "%s: cannot append: %s", self->path, strerror(errno));
        if (ftruncate(self->fd, (off_t)self->end) != 0) {
            ISMO_ERROR("spool", "%s: cannot undo a partial append: %s", self->path,
                       strerror(errno));
        }
        return ISMO_ERR_IO;
    }
    self->end += rec;
    self->count++;
    return ISMO_OK;
}

ismo_err ismo_spool_sync(ismo_spool_t *self)
{
    if (fdatasync(self->fd) != 0) {
        ISMO_ERROR("spool", "%s: fdatasync: %s", self->path, strerror(errno));
        return ISMO_ERR_IO;
    }
    return ISMO_OK;
}

uint64_t ismo_spool_count(const ismo_spool_t *self) { return self->count; }
uint64_t ismo_spool_live_bytes(const ismo_spool_t *self) { return self->end - self->head; }
uint64_t ismo_spool_file_bytes(const ismo_spool_t *self) { return self->end; }
uint64_t ismo_spool_refused(const ismo_spool_t *self) { return self->refused; }
void ismo_spool_set_max_bytes(ismo_spool_t *self, uint64_t max_bytes) { self->max_bytes = max_bytes; }
const char *ismo_spool_path(const ismo_spool_t *self) { return self->path; }

/* ---- batches ----------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    max_align_t data[];
} arena_block;

struct ismo_spool_batch {
    Ismo__V1__Sample **samples;
    size_t count;
    size_t cap;
    uint64_t start;       /* spool head when peeked */
    uint64_t end;         /* offset after the last record covered */
    uint64_t records;     /* records covered (decoded or skipped) */
    arena_block *blocks;  /* first block is reused; others freed on reset */
    ProtobufCAllocator alloc;
};

static void *arena_alloc(void *data, size_t size)
{
    ismo_spool_batch_t *b = data;
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block *blk = b->blocks;
    if (!blk || blk->size - blk->used < size) {
        size_t want = size > ARENA_BLOCK_BYTES ? size : ARENA_BLOCK_BYTES;
        arena_block *n = malloc(sizeof *n + want);
        if (!n) {
            return NULL;
        }
        n->size = want;
        n->used = 0;
        n->next = b->blocks;
        b->blocks = n;
        blk = n;
    }
    void *p = (char *)blk->data + blk->used;
    blk->used += size;
    return p;
}

static void arena_free(void *data, void *ptr) { (void)data, (void)ptr; }

/* Keep one block (the newest, most likely the largest) and reset it. */
static void arena_reset(ismo_spool_batch_t *b)
{
    if (!b->blocks) {
        return;
    }
    arena_block *keep = b->blocks;
    arena_block *rest = keep->next;
    while (rest) {
        arena_block *n = rest->next;
        free(rest);
        rest = n;
    }
    keep->next = NULL;
    keep->used = 0;
}

ismo_spool_batch_t *ismo_spool_batch_new(void)
{
    ismo_spool_batch_t *b = calloc(1, sizeof *b);
    if (!b) {
        return NULL;
    }
    b->alloc.alloc = arena_alloc;
    b->alloc.free = arena_free;
    b->alloc.allocator_data = b;
    return b;
}

void ismo_spool_batch_destroy(ismo_spool_batch_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_spool_batch_t *b = *self_p;
    arena_reset(b);
    free(b->blocks);
    free(b->samples);
    free(b);
    *self_p = NULL;
}

size_t ismo_spool_batch_count(const ismo_spool_batch_t *batch) { return batch->count; }
Ismo__V1__Sample **ismo_spool_batch_samples(ismo_spool_batch_t *batch) { return batch->samples; }

ismo_err ismo_spool_peek(ismo_spool_t *self, ismo_spool_batch_t *b, size_t max_n)
{
    assert(max_n >= 1);
    arena_reset(b);
    b->count = 0;
    b->records = 0;
    b->start = self->head;
    b->end = self->head;
    if (b->cap < max_n) {
        Ismo__V1__Sample **n = realloc(b->samples, max_n * sizeof *n);
        if (!n) {
            return ISMO_ERR_NOMEM;
        }
        b->samples = n;
        b->cap = max_n;
    }
    uint64_t off = self->head;
    while (b->count < max_n && off < self->end) {
        long len = read_record(self, off, self->end);
        if (len <= 0) {
            ISMO_ERROR("spool", "%s: cannot read record at offset %llu: %s", self->path,
                       (unsigned long long)off, len < 0 ? "checksum or I/O error" : "end");
            return ISMO_ERR_IO;
        }
        Ismo__V1__Sample *s = ismo__v1__sample__unpack(
            &b->alloc, (size_t)len, self->scratch + ISMO_SPOOL_RECORD_HEADER_BYTES);
        off += ISMO_SPOOL_RECORD_HEADER_BYTES + (uint64_t)len;
        b->records++;
        if (!s) {
            ISMO_ERROR("spool", "%s: record at offset %llu is not a sample; skipped", self->path,
                       (unsigned long long)(off - (uint64_t)len - ISMO_SPOOL_RECORD_HEADER_BYTES));
        } else {
            b->samples[b->count++] = s;
        }
    }
    b->end = off;
    return ISMO_OK;
}

/* Copy the live records to path.tmp and rename it over the file. */
static int compact(ismo_spool_t *self)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", self->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    uint8_t h[ISMO_SPOOL_HEADER_BYTES];
    header_encode(h, ISMO_SPOOL_HEADER_BYTES);
    int rc = pwrite_all(fd, h, sizeof h, 0);
    uint64_t out = ISMO_SPOOL_HEADER_BYTES;
    uint8_t buf[65536];
    for (uint64_t off = self->head; rc == 0 && off < self->end;) {
        size_t want = self->end - off < sizeof buf ? (size_t)(self->end - off) : sizeof buf;
        ssize_t n = pread_all(self->fd, buf, want, off);
        if (n != (ssize_t)want || pwrite_all(fd, buf, want, out) != 0) {
            rc = -1;
            break;
        }
        off += want;
        out += want;
    }
    if (rc == 0) {
        rc = fsync(fd);
    }
    if (rc == 0) {
        rc = rename(tmp, self->path);
    }
    if (rc != 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    sync_parent_dir(self->path);
    close(self->fd);
    self->fd = fd;
    self->end = out;
    self->head = ISMO_SPOOL_HEADER_BYTES;
    return 0;
}

ismo_err ismo_spool_ack(ismo_spool_t *self, ismo_spool_batch_t *b)
{
    assert(b->start == self->head && b->end <= self->end);
    if (b->records == 0) {
        return ISMO_OK;
    }
    if (write_header(self, b->end) != 0) {
        return ISMO_ERR_IO;
    }
    self->head = b->end;
    self->count -= b->records;
    b->start = b->end; /* a second ack of the same batch is a no-op */
    b->records = 0;
    if (self->head == self->end) {
        /* everything acknowledged: back to an empty file */
        if (ftruncate(self->fd, ISMO_SPOOL_HEADER_BYTES) == 0 &&
            write_header(self, ISMO_SPOOL_HEADER_BYTES) == 0) {
            self->head = self->end = ISMO_SPOOL_HEADER_BYTES;
        } else {
            ISMO_WARN("spool", "%s: cannot truncate after full acknowledgement: %s", self->path,
                      strerror(errno));
        }
    } else if (self->head - ISMO_SPOOL_HEADER_BYTES >= SPOOL_COMPACT_MIN_BYTES &&
               self->head - ISMO_SPOOL_HEADER_BYTES > self->end - self->head) {
        if (compact(self) != 0) {
            ISMO_WARN("spool", "%s: compaction failed (will retry): %s", self->path,
                      strerror(errno));
        }
    }
    return ISMO_OK;
}
