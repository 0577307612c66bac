{
  "targets": [
    {
      "target_name": "bgzf_inflate",
      "sources": ["bgzf_inflate.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
