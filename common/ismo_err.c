/* ismo_err: error texts and the mapping to wire status codes.
 * Owns no state; pure functions, any thread. */
#include "ismo_err.h"

#include "ismo/v1/api.pb-c.h"

const char *ismo_strerror(ismo_err err)
{
    switch (err) {
    case ISMO_OK: return "success";
    case ISMO_ERR_INVALID: return "invalid argument";
    case ISMO_ERR_NOT_FOUND: return "not found";
    case ISMO_ERR_CONFLICT: return "conflict with current state";
    case ISMO_ERR_TOO_LARGE: return "too large";
    case ISMO_ERR_FULL: return "storage full";
    case ISMO_ERR_IO: return "I/O error";
    case ISMO_ERR_NOMEM: return "out of memory";
    case ISMO_ERR_TIMEOUT: return "timed out (is ismod running?)";
    case ISMO_ERR_TRANSPORT: return "transport error";
    case ISMO_ERR_PROTOCOL: return "protocol error (malformed message)";
    case ISMO_ERR_BAD_REQUEST: return "bad request";
    case ISMO_ERR_INTERNAL: return "internal server error";
    case ISMO_ERR_UNAVAILABLE: return "server unavailable";
    case ISMO_ERR_PARSE: return "parse error";
    case ISMO_ERR_PARTIAL: return "partially rejected";
    case ISMO_ERR_INTERRUPTED: return "interrupted";
    case ISMO_ERR_LOCKED: return "locked by another process";
    case ISMO_ERR_PERMISSION: return "permission denied";
    }
    return "unknown error";
}

int ismo_err_to_status(ismo_err err)
{
    switch (err) {
    case ISMO_OK: return ISMO__V1__STATUS_CODE__OK;
    case ISMO_ERR_INVALID:
    case ISMO_ERR_PARSE: return ISMO__V1__STATUS_CODE__INVALID_ARGUMENT;
    case ISMO_ERR_NOT_FOUND: return ISMO__V1__STATUS_CODE__NOT_FOUND;
    case ISMO_ERR_CONFLICT: return ISMO__V1__STATUS_CODE__CONFLICT;
    case ISMO_ERR_TOO_LARGE: return ISMO__V1__STATUS_CODE__TOO_LARGE;
    case ISMO_ERR_FULL: return ISMO__V1__STATUS_CODE__STORAGE_FULL;
    case ISMO_ERR_BAD_REQUEST:
    case ISMO_ERR_PROTOCOL: return ISMO__V1__STATUS_CODE__BAD_REQUEST;
    case ISMO_ERR_UNAVAILABLE:
    case ISMO_ERR_INTERRUPTED: return ISMO__V1__STATUS_CODE__UNAVAILABLE;
    case ISMO_ERR_PARTIAL: return ISMO__V1__STATUS_CODE__PARTIAL;
    case ISMO_ERR_PERMISSION: return ISMO__V1__STATUS_CODE__PERMISSION_DENIED;
    default: return ISMO__V1__STATUS_CODE__INTERNAL;
    }
}

ismo_err ismo_err_from_status(int status_code)
{
    switch (status_code) {
    case ISMO__V1__STATUS_CODE__OK: return ISMO_OK;
    case ISMO__V1__STATUS_CODE__BAD_REQUEST: return ISMO_ERR_BAD_REQUEST;
    case ISMO__V1__STATUS_CODE__INVALID_ARGUMENT: return ISMO_ERR_INVALID;
    case ISMO__V1__STATUS_CODE__NOT_FOUND: return ISMO_ERR_NOT_FOUND;
    case ISMO__V1__STATUS_CODE__CONFLICT: return ISMO_ERR_CONFLICT;
    case ISMO__V1__STATUS_CODE__TOO_LARGE: return ISMO_ERR_TOO_LARGE;
    case ISMO__V1__STATUS_CODE__STORAGE_FULL: return ISMO_ERR_FULL;
    case ISMO__V1__STATUS_CODE__UNAVAILABLE: return ISMO_ERR_UNAVAILABLE;
    case ISMO__V1__STATUS_CODE__PARTIAL: return ISMO_ERR_PARTIAL;
    case ISMO__V1__STATUS_CODE__PERMISSION_DENIED: return ISMO_ERR_PERMISSION;
    default: return ISMO_ERR_INTERNAL;
    }
}

const char *ismo_status_name(int status_code)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&ismo__v1__status_code__descriptor, status_code);
    return v ? v->name : "UNKNOWN";
}
