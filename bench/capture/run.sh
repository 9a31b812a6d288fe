#!/bin/sh
# Capture benchmark with its baselines, in one session (docs/capture.md, "Figures").
#
#   bench/capture/run.sh --bin <build>/bench/capture [--vtest vtest.avi] [--work dir]
#   bench/capture/run.sh --smoke --bin <build>/bench/capture --media <build>/test-media
#
# Full run: generates 60 s of 1080p25 footage from vtest.avi (H.264 with B-frames; and an
# IP-camera-like pair: 1080p main without B-frames + 640x360 sub-stream), then prints CPU
# seconds per minute of video for
#   (a) the capture path (5 fps, 640x360) vs `ffmpeg -threads 1 -i same.mp4 -f null -` and vs a
#       naive OpenCV VideoCapture + resize loop;
#   (b) the main+sub pair vs decoding the sub-stream alone;
# and the peak RSS per camera with 10 s of pre-roll (4 cameras on the pair).
# --smoke runs the same on the short test media, for CI (figures meaningless there).
set -eu
smoke=0
bin=
media=
work=
vtest=$(dpkg -L opencv-doc 2>/dev/null | grep '/vtest\.avi$' | head -n 1 || true)  # opencv-doc
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    --media) media=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --vtest) vtest=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$bin" ] || { echo "--bin <build>/bench/capture is required" >&2; exit 2; }
bench=$bin/gridsight_capture_bench
naive=$bin/gridsight_opencv_naive_bench
ff="ffmpeg -hide_banner -loglevel error -nostdin -y"

if [ $smoke = 1 ]; then
  a=$media/h264_b.mp4
  main=$media/main_1080p.mp4
  sub=$media/sub_360p.mp4
else
  [ -n "$vtest" ] && [ -s "$vtest" ] || { echo "vtest.avi not found: install opencv-doc or pass --vtest" >&2; exit 2; }
  work=${work:-$bin/bench-media}
  mkdir -p "$work"
  a=$work/bframes_1080p.mp4
  main=$work/main_1080p_nob.mp4
  sub=$work/sub_360p.mp4
  src="-stream_loop 1 -r 25 -i $vtest -t 60 -an"
  [ -s "$a" ] || $ff $src -vf scale=1920:1080 -c:v libx264 -preset veryfast -g 50 \
    -pix_fmt yuv420p "$a"
  [ -s "$main" ] || $ff $src -vf scale=1920:1080 -c:v libx264 -preset veryfast -bf 0 -g 50 \
    -pix_fmt yuv420p "$main"
  [ -s "$sub" ] || $ff $src -vf scale=640:360 -c:v libx264 -preset veryfast -bf 0 -g 50 \
    -pix_fmt yuv420p "$sub"
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
minutes() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" | awk '{print $1/60}'; }
# CPU seconds (user + system) of a command, per minute of the given video.
cpu_per_min() {
  file=$1
  shift
  env time -f "%U %S" -o "$tmp" "$@" >/dev/null 2>&1  # GNU time (package time)
  awk -v m="$(minutes "$file")" '{printf "%.3f", ($1 + $2) / m}' "$tmp"
}
ours() { "$bench" "$@" | awk '/cpu_seconds_per_video_minute/ {print $2}'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x / y}'; }

echo "capture benchmark ($( [ $smoke = 1 ] && echo smoke || echo full ); CPU seconds per minute of video)"
cap_a=$(ours --file "$a" --fps 5 --width 640 --height 360)
ffm_a=$(cpu_per_min "$a" ffmpeg -nostdin -threads 1 -i "$a" -f null -)
echo "(a) $(basename "$a") (H.264 with B-frames)"
echo "    capture path, 5 fps 640x360:        $cap_a"
echo "    ffmpeg -threads 1 full decode:      $ffm_a   ratio $(ratio "$cap_a" "$ffm_a") (target <= 0.6)"
if [ -x "$naive" ]; then
  nai_a=$("$naive" "$a" 640 360 | awk '/cpu_seconds_per_video_minute/ {print $2}')
  echo "    naive OpenCV VideoCapture+resize:   $nai_a   ratio $(ratio "$cap_a" "$nai_a") (target <= 0.3)"
fi
cap_pair=$(ours --file "$main" --sub "$sub" --fps 5 --width 640 --height 360)
cap_sub=$(ours --file "$sub" --fps 5 --width 640 --height 360)
ffm_sub=$(cpu_per_min "$sub" ffmpeg -nostdin -threads 1 -i "$sub" -f null -)
echo "(b) $(basename "$main") main (evidence only) + $(basename "$sub") sub (analytics)"
echo "    capture path, main + sub:           $cap_pair"
echo "    capture path, sub alone:            $cap_sub   ratio $(ratio "$cap_pair" "$cap_sub")"
echo "    ffmpeg -threads 1 sub decode:       $ffm_sub   ratio $(ratio "$cap_pair" "$ffm_sub") (target <= 1.15)"
"$bench" --file "$main" --sub "$sub" --cameras 4 --pre-roll 10 >"$tmp"
rss=$(awk '/peak_rss_mb/ {print $6}' "$tmp")
echo "peak RSS per camera, main + sub, 10 s pre-roll, 4 cameras: $rss MB (target <= 40)"
