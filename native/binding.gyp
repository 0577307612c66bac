{
  "variables": {
    # 1 when scripts/build-native.mjs found Intel's ISA-L headers (Debian: libisal-dev)
    "isal%": "<!(node -p \"process.env.BAMSTREAM_ISAL === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "bgzf",
      "sources": ["bgzf.c", "sam.c", "scan.c", "walk.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-Wall", "-Wextra"],
      "conditions": [
        ["isal==1", { "defines": ["BAMSTREAM_ISAL"], "libraries": ["-lisal"] }]
      ]
    }
  ]
}
