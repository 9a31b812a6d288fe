#!/bin/sh
# Generates the capture/evidence test media from OpenCV's real sample footage (vtest.avi,
# package opencv-doc) with ffmpeg. Idempotent: existing files are kept, new ones are written
# to a temporary name first, so parallel runs are safe.
#
#   make_test_media.sh <vtest.avi> <output dir>
set -eu
src=$1
out=$2
mkdir -p "$out"
ff="ffmpeg -hide_banner -loglevel error -nostdin -y"

make() {  # make <name> <ffmpeg arguments...>: writes $out/<name> unless it exists
  name=$1
  shift
  [ -s "$out/$name" ] && return 0
  ext=${name##*.}
  $ff "$@" "$out/.tmp.$$.$ext"
  mv "$out/.tmp.$$.$ext" "$out/$name"
}

# 768x576 at 25 fps (the 10 fps footage played faster), H.264 with B-frames, 2 s GOP.
make h264_b.mp4 -r 25 -i "$src" -t 16 -an -c:v libx264 -preset veryfast -bf 2 -g 50 \
  -pix_fmt yuv420p
# H.265 (most Chinese cameras default to it), 640x360.
make h265.mp4 -r 25 -i "$src" -t 8 -an -vf scale=640:360 -c:v libx265 -preset ultrafast \
  -x265-params log-level=error -pix_fmt yuv420p -tag:v hvc1
# An IP-camera-like pair: 1080p main stream and 640x360 sub-stream, no B-frames, 1 s GOP.
make main_1080p.mp4 -r 25 -i "$src" -t 8 -an -vf scale=1920:1080 -c:v libx264 \
  -preset ultrafast -bf 0 -g 25 -pix_fmt yuv420p
make sub_360p.mp4 -r 25 -i "$src" -t 8 -an -vf scale=640:360 -c:v libx264 -preset ultrafast \
  -bf 0 -g 25 -pix_fmt yuv420p
# MPEG-TS (what a broken stream or disk looks like), truncated and with flipped bytes.
make h264.ts -i "$out/h264_b.mp4" -c copy -f mpegts
if [ ! -s "$out/truncated.ts" ]; then
  size=$(wc -c <"$out/h264.ts")
  head -c $((size * 6 / 10 + 77)) "$out/h264.ts" >"$out/.tmp.$$.ts"
  mv "$out/.tmp.$$.ts" "$out/truncated.ts"
fi
if [ ! -s "$out/bitflipped.ts" ]; then
  cp "$out/h264.ts" "$out/.tmp.$$.ts"
  size=$(wc -c <"$out/h264.ts")
  i=1
  while [ $i -le 40 ]; do  # 40 runs of 8 bytes spread over the file (not its start)
    printf '\125\252\125\252\377\000\377\000' |
      dd of="$out/.tmp.$$.ts" bs=1 seek=$((size / 50 * (i + 5) + i * 37)) conv=notrunc 2>/dev/null
    i=$((i + 1))
  done
  mv "$out/.tmp.$$.ts" "$out/bitflipped.ts"
fi
