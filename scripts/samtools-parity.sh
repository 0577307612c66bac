#!/bin/bash
# Compares bamstream with the installed samtools on every BAM of the given
# folders (default: test/fixtures/htslib), in one sitting, and prints
# "category identical/total" lines, then each difference.
#   flagstat (text, JSON), count (view -c with filters), view (SAM -h, and -b
#   read back by samtools), idxstats, regions (indexed copies: single, several,
#   '*', '.', unknown and reversed; output and exit status).
# Usage: npx tsc -p tsconfig.json && scripts/samtools-parity.sh [DIR…]
set -u
BS="node $(pwd)/dist/src/cli/main.js"
WORK=$(mktemp -d /tmp/samtools-parity.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
declare -A same total
DIFFS="$WORK/diffs"
: > "$DIFFS"

# compare CATEGORY LABEL SAMTOOLS_COMMAND BAMSTREAM_COMMAND: stdout and exit status must match
compare() {
  local cat=$1 label=$2
  eval "$3" > "$WORK/a" 2>/dev/null; local ra=$?
  eval "$4" > "$WORK/b" 2>/dev/null; local rb=$?
  total[$cat]=$(( ${total[$cat]:-0} + 1 ))
  if [ $ra = $rb ] && cmp -s "$WORK/a" "$WORK/b"; then
    same[$cat]=$(( ${same[$cat]:-0} + 1 ))
  else
    echo "$cat $label: samtools exit $ra, bamstream exit $rb$(cmp -s "$WORK/a" "$WORK/b" || echo ', output differs')" >> "$DIFFS"
  fi
}

FILTERS=("" "-f 1" "-F 4" "-q 30" "-q -1" "-F UNMAP,SECONDARY" "-f PAIRED -F 0x900" "-G 12" "--rf 0x40" "-e 'mapq >= 30 && !flag.reverse'" "-s 42.5" "--subsample 0.3 --subsample-seed 7")

for dir in "${@:-test/fixtures/htslib}"; do
  for bam in "$dir"/*.bam; do
    name=$(basename "$bam" .bam)
    compare flagstat "$name" "samtools flagstat '$bam'" "$BS flagstat -@ 2 '$bam'"
    compare flagstat-json "$name" "samtools flagstat -O json '$bam'" "$BS flagstat --json -@ 2 '$bam'"
    for f in "${FILTERS[@]}"; do
      compare count "$name $f" "samtools view -c $f '$bam'" "$BS view -c -@ 2 $f '$bam'"
    done
    compare view-sam "$name" "samtools view --no-PG -h '$bam'" "$BS view -h -@ 2 '$bam'"
    compare view-bam "$name" "samtools view --no-PG -h '$bam'" "$BS view -b -@ 2 -o '$WORK/out.bam' '$bam' && samtools view --no-PG -h '$WORK/out.bam'"
    # idxstats: samtools with an index when it can build one, else its slow method (which refuses unsorted files)
    cp "$bam" "$WORK/x.bam"
    samtools index "$WORK/x.bam" 2>/dev/null || rm -f "$WORK/x.bam.bai"
    compare idxstats "$name" "samtools idxstats '$WORK/x.bam'" "$BS idxstats -@ 2 '$WORK/x.bam'"
    [ -f "$WORK/x.bam.bai" ] || continue
    refs=($(samtools view -H "$bam" | awk -F'\t' '$1=="@SQ"{for(i=2;i<=NF;i++) if($i~/^SN:/) print substr($i,4)}' | head -3 | grep -v '[:{},*]'))
    regions=("." "'*'" "chrUnknown" "'chrUnknown:1-10'")
    for r in "${refs[@]}"; do regions+=("$r" "$r:1-1000" "$r:100-" "$r:-2k" "$r:1,001-1e4" "$r:500-100" "$r:abc"); done
    [ ${#refs[@]} -ge 2 ] && regions+=("${refs[1]} ${refs[0]}:1-500 ${refs[0]}:400-2000")
    [ ${#refs[@]} -ge 1 ] && regions+=("${refs[0]}:1-1000 ${refs[0]}:1-1000 '*'")
    for r in "${regions[@]}"; do
      compare regions "$name $r" "samtools view --no-PG -M '$WORK/x.bam' $r" "$BS view '$WORK/x.bam' $r"
      compare regions-count "$name $r" "samtools view -c -M '$WORK/x.bam' $r" "$BS view -c '$WORK/x.bam' $r"
    done
  done
done

for cat in "${!total[@]}"; do echo "$cat ${same[$cat]:-0}/${total[$cat]}"; done | sort
echo "all $(( $(IFS=+; echo "$(( ${same[*]} ))") ))/$(( $(IFS=+; echo "$(( ${total[*]} ))") ))"
echo "--- differences"
cat "$DIFFS"
