// JS errors for kernel and libbpf failures: { message, code, errno, op, log }.
#pragma once
#include <nan.h>

namespace vigil {

// err: a negative or positive errno, or a libbpf error (4000..4099). The libbpf log
// captured since the operation began goes into .log (the verifier's, for a load).
v8::Local<v8::Value> MakeError(const char *op, int err);

}  // namespace vigil
