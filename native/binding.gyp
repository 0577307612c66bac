{
  "targets": [
    {
      "target_name": "bgzf",
      "sources": ["bgzf.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
