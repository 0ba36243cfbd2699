// The vigil_sensor addon: the Sensor class (sensor.cc) and module-level facts the
// TypeScript facade (sensor/src/native/addon.ts) checks against its own: the wire version,
// the layout of every wire struct as this compiler lays it out, clocks, tracefs.
#include <bpf/libbpf.h>
#include <nan.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "errors.h"
#include "events.h"
#include "libbpf_log.h"
#include "sensor.h"

namespace vigil {

v8::Local<v8::Value> MakeError(const char *op, int err) {
  int e = err < 0 ? -err : err;
  char msg[256];
  std::string code;
  if (e >= 4000 && e < 4100) {
    libbpf_strerror(e, msg, sizeof(msg));
    code = "LIBBPF_" + std::to_string(e);
  } else {
    snprintf(msg, sizeof(msg), "%s", strerror(e));
    const char *name = strerrorname_np(e);
    code = name ? name : "E" + std::to_string(e);
  }
  std::string text = std::string(op) + ": " + msg;
  v8::Local<v8::Object> error = Nan::Error(text.c_str()).As<v8::Object>();
  Nan::Set(error, Nan::New("code").ToLocalChecked(), Nan::New(code).ToLocalChecked());
  Nan::Set(error, Nan::New("errno").ToLocalChecked(), Nan::New<v8::Number>(e));
  Nan::Set(error, Nan::New("op").ToLocalChecked(), Nan::New(op).ToLocalChecked());
  Nan::Set(error, Nan::New("log").ToLocalChecked(), Nan::New(TakeLibbpfLog()).ToLocalChecked());
  return error;
}

namespace {

// layout(): { struct: { size, fields: { name: offset } } } for every struct of events.h.
NAN_METHOD(Layout) {
  v8::Local<v8::Object> out = Nan::New<v8::Object>();
  v8::Local<v8::Object> fields;
#define VIGIL_STRUCT(s)                                                                            \
  {                                                                                                \
    v8::Local<v8::Object> o = Nan::New<v8::Object>();                                              \
    fields = Nan::New<v8::Object>();                                                               \
    Nan::Set(o, Nan::New("size").ToLocalChecked(), Nan::New<v8::Number>(sizeof(struct s)));        \
    Nan::Set(o, Nan::New("fields").ToLocalChecked(), fields);                                      \
    Nan::Set(out, Nan::New(#s).ToLocalChecked(), o);                                               \
  }
#define VIGIL_FIELD(s, f) Nan::Set(fields, Nan::New(#f).ToLocalChecked(), Nan::New<v8::Number>(offsetof(struct s, f)));
#include "layout.generated.h"
#undef VIGIL_STRUCT
#undef VIGIL_FIELD
  info.GetReturnValue().Set(out);
}

// clockOffsetNs(): CLOCK_REALTIME - CLOCK_BOOTTIME, to turn event timestamps into epoch ns.
NAN_METHOD(ClockOffsetNs) {
  timespec rt, bt;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_BOOTTIME, &bt);
  double ns = (static_cast<double>(rt.tv_sec) - static_cast<double>(bt.tv_sec)) * 1e9 +
              (static_cast<double>(rt.tv_nsec) - static_cast<double>(bt.tv_nsec));
  info.GetReturnValue().Set(ns);
}

// ensureTracefs(): the tracefs path libbpf will use for syscall tracepoints; mounts it at
// /sys/kernel/tracing when nothing is mounted there. Returns { path, mounted }.
NAN_METHOD(EnsureTracefs) {
  struct stat st;
  const char *paths[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
  for (const char *p : paths) {
    std::string events = std::string(p) + "/events";
    if (stat(events.c_str(), &st) == 0) {
      v8::Local<v8::Object> o = Nan::New<v8::Object>();
      Nan::Set(o, Nan::New("path").ToLocalChecked(), Nan::New(p).ToLocalChecked());
      Nan::Set(o, Nan::New("mounted").ToLocalChecked(), Nan::False());
      return info.GetReturnValue().Set(o);
    }
  }
  if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
    return Nan::ThrowError(MakeError("mount tracefs", errno));
  v8::Local<v8::Object> o = Nan::New<v8::Object>();
  Nan::Set(o, Nan::New("path").ToLocalChecked(), Nan::New("/sys/kernel/tracing").ToLocalChecked());
  Nan::Set(o, Nan::New("mounted").ToLocalChecked(), Nan::True());
  info.GetReturnValue().Set(o);
}

NAN_METHOD(TakeLog) { info.GetReturnValue().Set(Nan::New(TakeLibbpfLog()).ToLocalChecked()); }

NAN_METHOD(NumPossibleCpus) { info.GetReturnValue().Set(libbpf_num_possible_cpus()); }

NAN_MODULE_INIT(Init) {
  InstallLibbpfLog();
  Sensor::Init(target);
  Nan::Set(target, Nan::New("wireVersion").ToLocalChecked(), Nan::New<v8::Number>(VIGIL_WIRE_VERSION));
  Nan::SetMethod(target, "layout", Layout);
  Nan::SetMethod(target, "clockOffsetNs", ClockOffsetNs);
  Nan::SetMethod(target, "ensureTracefs", EnsureTracefs);
  Nan::SetMethod(target, "takeLog", TakeLog);
  Nan::SetMethod(target, "numPossibleCpus", NumPossibleCpus);
}

}  // namespace

}  // namespace vigil

NODE_MODULE(vigil_sensor, vigil::Init)
