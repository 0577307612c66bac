{
  "targets": [
    {
      "target_name": "bgzf",
      "sources": ["bgzf.c", "sam.c", "scan.c", "walk.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-Wall", "-Wextra"]
    }
  ]
}
