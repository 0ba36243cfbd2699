// The Sensor object JS sees: one opened BPF skeleton, its links and its ring buffer.
// Lifetime: open in the constructor, load once, attach/detach programs by name, start
// the ring buffer on the libuv loop, close once (also on GC). Every method that touches
// the kernel throws a JS Error with code (errno name), errno, op and the libbpf log.
#pragma once

#include <nan.h>
#include <uv.h>

#include <map>
#include <string>

struct vigil_bpf;
struct bpf_link;
struct bpf_map;
struct ring_buffer;

namespace vigil {

class Sensor : public Nan::ObjectWrap {
 public:
  static NAN_MODULE_INIT(Init);

 private:
  explicit Sensor(vigil_bpf *skel) : skel_(skel) {}
  ~Sensor() override;

  static NAN_METHOD(New);
  static NAN_METHOD(Programs);
  static NAN_METHOD(Load);
  static NAN_METHOD(Attach);
  static NAN_METHOD(Detach);
  static NAN_METHOD(ProgramInfo);
  static NAN_METHOD(MapInfo);
  static NAN_METHOD(MapUpdate);
  static NAN_METHOD(MapLookup);
  static NAN_METHOD(MapDelete);
  static NAN_METHOD(MapKeys);
  static NAN_METHOD(Start);
  static NAN_METHOD(Drain);
  static NAN_METHOD(Stop);
  static NAN_METHOD(Close);

  // Ring buffer: libbpf calls OnSample per record from ring_buffer__consume; records are
  // copied into the batch buffer, and JS is called once per batch.
  static int OnSample(void *ctx, void *data, size_t size);
  static void OnPoll(uv_poll_t *handle, int status, int events);
  static void OnTimer(uv_timer_t *handle);
  // Consumes and delivers up to max_batches batches; returns the records delivered.
  double Pump(int max_batches);
  void Deliver();
  void StopPolling();
  void Destroy();
  bpf_map *FindMap(const v8::Local<v8::Value> &name);
  bpf_map *MapArg(Nan::NAN_METHOD_ARGS_TYPE info, bool want_key, const char **key, size_t *key_len);

  vigil_bpf *skel_ = nullptr;
  bool loaded_ = false;
  std::map<std::string, bpf_link *> links_;

  ring_buffer *rb_ = nullptr;
  uv_poll_t *poll_ = nullptr;
  // With batched wakeups (wakeupBytes) records below the threshold wait for this timer.
  uv_timer_t *timer_ = nullptr;
  Nan::Callback on_batch_;
  Nan::AsyncResource *async_ = nullptr;
  Nan::Persistent<v8::Object> batch_obj_;
  uint8_t *batch_ = nullptr;
  size_t batch_cap_ = 0;
  size_t batch_len_ = 0;
  uint32_t batch_count_ = 0;
  bool batch_full_ = false;
  bool in_pump_ = false;
  bool stop_requested_ = false;
  bool close_requested_ = false;
};

}  // namespace vigil
