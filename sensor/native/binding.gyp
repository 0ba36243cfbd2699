{
  "targets": [
    {
      "target_name": "vigil_sensor",
      "sources": ["src/addon.cc", "src/sensor.cc", "src/libbpf_log.cc"],
      "include_dirs": [
        "<!(node -e \"require('nan')\")",
        "../../bpf/build",
        "../../bpf/include",
        "src"
      ],
      "libraries": ["-lbpf", "-lelf", "-lz"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Wno-cast-function-type"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++1y"]
    }
  ]
}
