#include "sensor.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "errors.h"
#include "events.h"
#include "libbpf_log.h"
#include "vigil.skel.h"

namespace vigil {
namespace {

// The largest record the kernel side writes (EV_RECORD_MAX in bpf/include/maps.h) plus
// the batch framing: a batch is refilled only while a record of this size still fits.
constexpr size_t kMaxRecord = 16384 + VIGIL_PATH_MAX;
constexpr size_t kFrame = 8;  // u32 length, u32 reserved
constexpr size_t kDefaultBatch = 1 << 20;
constexpr int kBatchesPerPoll = 16;

Nan::Persistent<v8::Function> constructor;

std::string ToString(const v8::Local<v8::Value> &v) {
  Nan::Utf8String s(v);
  return *s ? std::string(*s, static_cast<size_t>(s.length())) : std::string();
}

bool IsPerCpu(bpf_map *map) {
  switch (bpf_map__type(map)) {
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return true;
    default:
      return false;
  }
}

// Bytes of a value as the syscall wants it: per-CPU maps hold one 8-aligned slot per CPU.
size_t ValueBytes(bpf_map *map) {
  size_t size = bpf_map__value_size(map);
  if (!IsPerCpu(map)) return size;
  int cpus = libbpf_num_possible_cpus();
  return ((size + 7) & ~size_t(7)) * static_cast<size_t>(cpus > 0 ? cpus : 1);
}

bool BufferArg(const v8::Local<v8::Value> &v, const char **data, size_t *len) {
  if (!node::Buffer::HasInstance(v)) return false;
  *data = node::Buffer::Data(v);
  *len = node::Buffer::Length(v);
  return true;
}

// A number property of an options object, 0 when absent.
uint32_t OptU32(const v8::Local<v8::Value> &opts, const char *name) {
  if (!opts->IsObject()) return 0;
  v8::Local<v8::Value> v = Nan::Get(opts.As<v8::Object>(), Nan::New(name).ToLocalChecked()).ToLocalChecked();
  return v->IsNumber() ? Nan::To<uint32_t>(v).FromJust() : 0;
}

bpf_program *FindProgram(vigil_bpf *skel, const std::string &name) {
  return skel ? bpf_object__find_program_by_name(skel->obj, name.c_str()) : nullptr;
}

}  // namespace

NAN_MODULE_INIT(Sensor::Init) {
  v8::Local<v8::FunctionTemplate> tpl = Nan::New<v8::FunctionTemplate>(New);
  tpl->SetClassName(Nan::New("Sensor").ToLocalChecked());
  tpl->InstanceTemplate()->SetInternalFieldCount(1);
  Nan::SetPrototypeMethod(tpl, "programs", Programs);
  Nan::SetPrototypeMethod(tpl, "load", Load);
  Nan::SetPrototypeMethod(tpl, "attach", Attach);
  Nan::SetPrototypeMethod(tpl, "detach", Detach);
  Nan::SetPrototypeMethod(tpl, "programInfo", ProgramInfo);
  Nan::SetPrototypeMethod(tpl, "mapInfo", MapInfo);
  Nan::SetPrototypeMethod(tpl, "mapUpdate", MapUpdate);
  Nan::SetPrototypeMethod(tpl, "mapLookup", MapLookup);
  Nan::SetPrototypeMethod(tpl, "mapDelete", MapDelete);
  Nan::SetPrototypeMethod(tpl, "mapKeys", MapKeys);
  Nan::SetPrototypeMethod(tpl, "start", Start);
  Nan::SetPrototypeMethod(tpl, "drain", Drain);
  Nan::SetPrototypeMethod(tpl, "stop", Stop);
  Nan::SetPrototypeMethod(tpl, "close", Close);
  v8::Local<v8::Function> fn = Nan::GetFunction(tpl).ToLocalChecked();
  constructor.Reset(fn);
  Nan::Set(target, Nan::New("Sensor").ToLocalChecked(), fn);
}

Sensor::~Sensor() { Destroy(); }

// new Sensor({ selfTgid, ringBytes, wakeupBytes }): opens the embedded object; nothing is
// loaded yet. wakeupBytes > 0 batches the kernel's wakeups (then start() needs flushMs).
NAN_METHOD(Sensor::New) {
  if (!info.IsConstructCall()) return Nan::ThrowTypeError("Sensor must be called with new");
  uint32_t self_tgid = OptU32(info[0], "selfTgid");
  uint32_t ring_bytes = OptU32(info[0], "ringBytes");
  uint32_t wakeup_bytes = OptU32(info[0], "wakeupBytes");
  TakeLibbpfLog();
  vigil_bpf *skel = vigil_bpf__open();
  if (!skel) return Nan::ThrowError(MakeError("open", errno));
  skel->rodata->self_tgid = self_tgid;
  skel->rodata->wakeup_bytes = wakeup_bytes;
  if (ring_bytes) {
    int err = bpf_map__set_max_entries(skel->maps.events, ring_bytes);
    if (err) {
      vigil_bpf__destroy(skel);
      return Nan::ThrowError(MakeError("ring size", err));
    }
  }
  Sensor *self = new Sensor(skel);
  self->Wrap(info.This());
  info.GetReturnValue().Set(info.This());
}

// programs(): [{ name, section, autoload }] of the embedded object.
NAN_METHOD(Sensor::Programs) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (!self->skel_) return Nan::ThrowError("sensor is closed");
  v8::Local<v8::Array> out = Nan::New<v8::Array>();
  bpf_program *prog;
  uint32_t i = 0;
  bpf_object__for_each_program(prog, self->skel_->obj) {
    v8::Local<v8::Object> o = Nan::New<v8::Object>();
    Nan::Set(o, Nan::New("name").ToLocalChecked(), Nan::New(bpf_program__name(prog)).ToLocalChecked());
    Nan::Set(o, Nan::New("section").ToLocalChecked(), Nan::New(bpf_program__section_name(prog)).ToLocalChecked());
    Nan::Set(o, Nan::New("autoload").ToLocalChecked(), Nan::New(bpf_program__autoload(prog)));
    Nan::Set(out, i++, o);
  }
  info.GetReturnValue().Set(out);
}

// load(names): loads the object with only these programs; the maps are created either way.
NAN_METHOD(Sensor::Load) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (!self->skel_) return Nan::ThrowError("sensor is closed");
  if (self->loaded_) return Nan::ThrowError("already loaded");
  if (!info[0]->IsArray()) return Nan::ThrowTypeError("load(names: string[])");
  v8::Local<v8::Array> names = info[0].As<v8::Array>();
  std::set<std::string> wanted;
  for (uint32_t i = 0; i < names->Length(); i++) {
    std::string name = ToString(Nan::Get(names, i).ToLocalChecked());
    if (!FindProgram(self->skel_, name)) return Nan::ThrowTypeError(("unknown program " + name).c_str());
    wanted.insert(name);
  }
  bpf_program *prog;
  bpf_object__for_each_program(prog, self->skel_->obj) {
    bpf_program__set_autoload(prog, wanted.count(bpf_program__name(prog)) > 0);
  }
  TakeLibbpfLog();
  int err = vigil_bpf__load(self->skel_);
  if (err) return Nan::ThrowError(MakeError("load", err));
  self->loaded_ = true;
  // libbpf parsed the kernel's BTF (megabytes) to relocate the object and has freed it;
  // hand the freed heap back to the kernel instead of keeping it resident for the
  // sensor's lifetime.
  malloc_trim(0);
}

// attach(name, { cgroup }?): attaches one loaded program (idempotent). A cgroup program
// (cgroup_skb, ...) needs the cgroup directory it applies to, with its descendants; the
// link holds the cgroup, so the directory fd is closed at once.
NAN_METHOD(Sensor::Attach) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (!self->loaded_ || !self->skel_) return Nan::ThrowError("not loaded");
  std::string name = ToString(info[0]);
  bpf_program *prog = FindProgram(self->skel_, name);
  if (!prog || bpf_program__fd(prog) < 0) return Nan::ThrowTypeError(("program not loaded: " + name).c_str());
  if (self->links_.count(name)) return;
  std::string cgroup;
  if (info[1]->IsObject()) {
    v8::Local<v8::Value> v = Nan::Get(info[1].As<v8::Object>(), Nan::New("cgroup").ToLocalChecked()).ToLocalChecked();
    if (v->IsString()) cgroup = ToString(v);
  }
  bool wants_cgroup = bpf_program__type(prog) == BPF_PROG_TYPE_CGROUP_SKB;
  if (wants_cgroup && cgroup.empty()) return Nan::ThrowTypeError(("attach " + name + ": a cgroup program needs { cgroup }").c_str());
  TakeLibbpfLog();
  bpf_link *link;
  if (wants_cgroup) {
    int fd = open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Nan::ThrowError(MakeError(("attach " + name + ": open " + cgroup).c_str(), errno));
    link = bpf_program__attach_cgroup(prog, fd);
    int saved = errno;
    close(fd);
    errno = saved;
  } else {
    link = bpf_program__attach(prog);
  }
  if (!link) return Nan::ThrowError(MakeError(("attach " + name).c_str(), errno));
  self->links_[name] = link;
}

NAN_METHOD(Sensor::Detach) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  std::string name = ToString(info[0]);
  auto it = self->links_.find(name);
  if (it == self->links_.end()) return;
  bpf_link__destroy(it->second);
  self->links_.erase(it);
}

// programInfo(name): kernel facts of a loaded program (run time needs kernel.bpf_stats_enabled).
NAN_METHOD(Sensor::ProgramInfo) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  bpf_program *prog = FindProgram(self->skel_, ToString(info[0]));
  if (!prog || bpf_program__fd(prog) < 0) return info.GetReturnValue().SetNull();
  bpf_prog_info pi;
  memset(&pi, 0, sizeof(pi));
  uint32_t len = sizeof(pi);
  int err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &len);
  if (err) return Nan::ThrowError(MakeError("program info", err));
  v8::Local<v8::Object> o = Nan::New<v8::Object>();
  Nan::Set(o, Nan::New("id").ToLocalChecked(), Nan::New<v8::Number>(pi.id));
  Nan::Set(o, Nan::New("attached").ToLocalChecked(), Nan::New(self->links_.count(ToString(info[0])) > 0));
  Nan::Set(o, Nan::New("runTimeNs").ToLocalChecked(), Nan::New<v8::Number>(static_cast<double>(pi.run_time_ns)));
  Nan::Set(o, Nan::New("runCount").ToLocalChecked(), Nan::New<v8::Number>(static_cast<double>(pi.run_cnt)));
  Nan::Set(o, Nan::New("verifiedInsns").ToLocalChecked(), Nan::New<v8::Number>(pi.verified_insns));
  Nan::Set(o, Nan::New("xlatedBytes").ToLocalChecked(), Nan::New<v8::Number>(pi.xlated_prog_len));
  info.GetReturnValue().Set(o);
}

// The prologue of the map methods: a loaded sensor, a known map, and a key Buffer as
// info[1] when want_key. Throws and returns null otherwise.
bpf_map *Sensor::MapArg(Nan::NAN_METHOD_ARGS_TYPE info, bool want_key, const char **key, size_t *key_len) {
  if (!loaded_) {
    Nan::ThrowError("not loaded");
    return nullptr;
  }
  bpf_map *map = FindMap(info[0]);
  if (!map) {
    Nan::ThrowTypeError(("unknown map " + ToString(info[0])).c_str());
    return nullptr;
  }
  if (want_key && !BufferArg(info[1], key, key_len)) {
    Nan::ThrowTypeError("the key must be a Buffer");
    return nullptr;
  }
  return map;
}

bpf_map *Sensor::FindMap(const v8::Local<v8::Value> &name) {
  if (!skel_) return nullptr;
  return bpf_object__find_map_by_name(skel_->obj, ToString(name).c_str());
}

// mapInfo(name): { type, keySize, valueSize, maxEntries, perCpu, valueBytes }
NAN_METHOD(Sensor::MapInfo) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  bpf_map *map = self->FindMap(info[0]);
  if (!map) return Nan::ThrowTypeError(("unknown map " + ToString(info[0])).c_str());
  v8::Local<v8::Object> o = Nan::New<v8::Object>();
  Nan::Set(o, Nan::New("type").ToLocalChecked(), Nan::New<v8::Number>(bpf_map__type(map)));
  Nan::Set(o, Nan::New("keySize").ToLocalChecked(), Nan::New<v8::Number>(bpf_map__key_size(map)));
  Nan::Set(o, Nan::New("valueSize").ToLocalChecked(), Nan::New<v8::Number>(bpf_map__value_size(map)));
  Nan::Set(o, Nan::New("maxEntries").ToLocalChecked(), Nan::New<v8::Number>(bpf_map__max_entries(map)));
  Nan::Set(o, Nan::New("perCpu").ToLocalChecked(), Nan::New(IsPerCpu(map)));
  Nan::Set(o, Nan::New("valueBytes").ToLocalChecked(), Nan::New<v8::Number>(static_cast<double>(ValueBytes(map))));
  info.GetReturnValue().Set(o);
}

// mapUpdate(name, key: Buffer, value: Buffer, flags = BPF_ANY)
NAN_METHOD(Sensor::MapUpdate) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  const char *key, *value;
  size_t key_len, value_len;
  bpf_map *map = self->MapArg(info, true, &key, &key_len);
  if (!map) return;
  if (!BufferArg(info[2], &value, &value_len)) return Nan::ThrowTypeError("the value must be a Buffer");
  uint64_t flags = info[3]->IsNumber() ? static_cast<uint64_t>(Nan::To<int64_t>(info[3]).FromJust()) : uint64_t(BPF_ANY);
  int err = bpf_map__update_elem(map, key, key_len, value, value_len, flags);
  if (err) return Nan::ThrowError(MakeError(("update " + std::string(bpf_map__name(map))).c_str(), err));
}

// mapLookup(name, key): Buffer of valueBytes, or null when the key is absent.
NAN_METHOD(Sensor::MapLookup) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  const char *key;
  size_t key_len;
  bpf_map *map = self->MapArg(info, true, &key, &key_len);
  if (!map) return;
  size_t bytes = ValueBytes(map);
  v8::Local<v8::Object> out = Nan::NewBuffer(static_cast<uint32_t>(bytes)).ToLocalChecked();
  int err = bpf_map__lookup_elem(map, key, key_len, node::Buffer::Data(out), bytes, 0);
  if (err == -ENOENT) return info.GetReturnValue().SetNull();
  if (err) return Nan::ThrowError(MakeError(("lookup " + std::string(bpf_map__name(map))).c_str(), err));
  info.GetReturnValue().Set(out);
}

// mapDelete(name, key): true when an entry was removed.
NAN_METHOD(Sensor::MapDelete) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  const char *key;
  size_t key_len;
  bpf_map *map = self->MapArg(info, true, &key, &key_len);
  if (!map) return;
  int err = bpf_map__delete_elem(map, key, key_len, 0);
  if (err == -ENOENT) return info.GetReturnValue().Set(false);
  if (err) return Nan::ThrowError(MakeError(("delete " + std::string(bpf_map__name(map))).c_str(), err));
  info.GetReturnValue().Set(true);
}

// mapKeys(name): every key (a snapshot; entries may come and go meanwhile).
NAN_METHOD(Sensor::MapKeys) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  bpf_map *map = self->MapArg(info, false, nullptr, nullptr);
  if (!map) return;
  size_t ks = bpf_map__key_size(map);
  std::vector<char> cur(ks), next(ks);
  v8::Local<v8::Array> out = Nan::New<v8::Array>();
  uint32_t n = 0;
  const void *prev = nullptr;
  while (bpf_map__get_next_key(map, prev, next.data(), ks) == 0) {
    Nan::Set(out, n++, Nan::CopyBuffer(next.data(), static_cast<uint32_t>(ks)).ToLocalChecked());
    cur.swap(next);
    prev = cur.data();
  }
  info.GetReturnValue().Set(out);
}

int Sensor::OnSample(void *ctx, void *data, size_t size) {
  Sensor *self = static_cast<Sensor *>(ctx);
  size_t need = kFrame + ((size + 7) & ~size_t(7));
  if (self->batch_len_ + need > self->batch_cap_) {
    // cannot happen while records respect kMaxRecord; never write past the buffer
    self->batch_full_ = true;
    return -E2BIG;
  }
  uint8_t *at = self->batch_ + self->batch_len_;
  uint32_t len32 = static_cast<uint32_t>(size);
  memcpy(at, &len32, 4);
  memset(at + 4, 0, 4);
  memcpy(at + kFrame, data, size);
  self->batch_len_ += need;
  self->batch_count_++;
  if (self->batch_cap_ - self->batch_len_ < kFrame + kMaxRecord) {
    // libbpf has consumed this record already; stopping here loses nothing
    self->batch_full_ = true;
    return -EAGAIN;
  }
  return 0;
}

void Sensor::Deliver() {
  Nan::HandleScope scope;
  v8::Local<v8::Value> argv[] = {
      Nan::New(batch_obj_),
      Nan::New<v8::Number>(static_cast<double>(batch_len_)),
      Nan::New<v8::Number>(batch_count_),
  };
  on_batch_.Call(3, argv, async_);
}

double Sensor::Pump(int max_batches) {
  double delivered = 0;
  in_pump_ = true;
  for (int i = 0; max_batches < 0 || i < max_batches; i++) {
    batch_len_ = 0;
    batch_count_ = 0;
    batch_full_ = false;
    ring_buffer__consume(rb_);
    if (batch_count_ == 0) break;
    delivered += batch_count_;
    Deliver();
    if (stop_requested_ || close_requested_ || !batch_full_) break;
  }
  in_pump_ = false;
  if (close_requested_) {
    Destroy();
  } else if (stop_requested_) {
    StopPolling();
  }
  return delivered;
}

void Sensor::OnPoll(uv_poll_t *handle, int status, int events) {
  Sensor *self = static_cast<Sensor *>(handle->data);
  if (!self || !self->rb_) return;
  self->Pump(kBatchesPerPoll);
}

void Sensor::OnTimer(uv_timer_t *handle) {
  Sensor *self = static_cast<Sensor *>(handle->data);
  if (!self || !self->rb_) return;
  self->Pump(kBatchesPerPoll);
}

// start(onBatch(buf, bytes, count), { batchBytes, flushMs }): polls the ring buffer on the
// loop, and also every flushMs when set (for batched wakeups).
// buf is the same Buffer every time and is valid only during the call: records are framed
// as u32 length, u32 reserved, then the record padded to 8 bytes.
NAN_METHOD(Sensor::Start) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (!self->loaded_ || !self->skel_) return Nan::ThrowError("not loaded");
  if (self->rb_) return Nan::ThrowError("already started");
  if (!info[0]->IsFunction()) return Nan::ThrowTypeError("start(onBatch, { batchBytes }?)");
  size_t cap = OptU32(info[1], "batchBytes");
  uint32_t flush_ms = OptU32(info[1], "flushMs");
  if (!cap) cap = kDefaultBatch;
  if (cap < 2 * (kFrame + kMaxRecord)) cap = 2 * (kFrame + kMaxRecord);

  ring_buffer *rb = ring_buffer__new(bpf_map__fd(self->skel_->maps.events), OnSample, self, nullptr);
  if (!rb) return Nan::ThrowError(MakeError("ring buffer", errno));
  v8::Local<v8::Object> buf = Nan::NewBuffer(static_cast<uint32_t>(cap)).ToLocalChecked();
  self->batch_obj_.Reset(buf);
  self->batch_ = reinterpret_cast<uint8_t *>(node::Buffer::Data(buf));
  self->batch_cap_ = cap;
  self->on_batch_.Reset(info[0].As<v8::Function>());
  self->async_ = new Nan::AsyncResource("vigil:ringbuf");
  self->rb_ = rb;
  self->stop_requested_ = false;

  self->poll_ = new uv_poll_t;
  self->poll_->data = self;
  int err = uv_poll_init(Nan::GetCurrentEventLoop(), self->poll_, ring_buffer__epoll_fd(rb));
  if (!err) err = uv_poll_start(self->poll_, UV_READABLE, OnPoll);
  if (err) {
    self->StopPolling();
    return Nan::ThrowError(MakeError("uv_poll", -err));
  }
  self->Ref();  // polling keeps the object alive until stop/close
  if (flush_ms) {
    self->timer_ = new uv_timer_t;
    self->timer_->data = self;
    uv_timer_init(Nan::GetCurrentEventLoop(), self->timer_);
    uv_timer_start(self->timer_, OnTimer, flush_ms, flush_ms);
    // the timer alone must not keep the process alive: the poll handle decides that
    uv_unref(reinterpret_cast<uv_handle_t *>(self->timer_));
  }
}

// drain(): delivers whatever the ring buffer holds now, synchronously; returns the count.
NAN_METHOD(Sensor::Drain) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (!self->rb_) return info.GetReturnValue().Set(0);
  if (self->in_pump_) return Nan::ThrowError("drain() inside the batch callback");
  info.GetReturnValue().Set(self->Pump(-1));
}

void Sensor::StopPolling() {
  if (timer_) {
    uv_timer_stop(timer_);
    timer_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t *>(timer_), [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
    timer_ = nullptr;
  }
  if (poll_) {
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
    poll_ = nullptr;
    Unref();
  }
  if (rb_) {
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
  delete async_;
  async_ = nullptr;
  on_batch_.Reset();
  batch_obj_.Reset();
  batch_ = nullptr;
  batch_cap_ = 0;
  stop_requested_ = false;
}

NAN_METHOD(Sensor::Stop) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (self->in_pump_) {
    self->stop_requested_ = true;
    return;
  }
  self->StopPolling();
}

void Sensor::Destroy() {
  close_requested_ = false;
  StopPolling();
  for (auto &it : links_) bpf_link__destroy(it.second);
  links_.clear();
  if (skel_) {
    vigil_bpf__destroy(skel_);
    skel_ = nullptr;
  }
  loaded_ = false;
}

// close(): detaches everything and frees the maps (also done on GC).
NAN_METHOD(Sensor::Close) {
  Sensor *self = ObjectWrap::Unwrap<Sensor>(info.Holder());
  if (self->in_pump_) {
    self->close_requested_ = true;
    return;
  }
  self->Destroy();
}

}  // namespace vigil
