// Baseline only (OpenCV's videoio is not used on the edge): the naive loop, VideoCapture
// decoding every frame and cv::resize to the analytics size. Prints CPU seconds per minute of
// video.
//
//   gridsight_opencv_naive_bench <file> [width height]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <file> [width height]\n", argv[0]);
    return 2;
  }
  int w = argc > 3 ? std::atoi(argv[2]) : 640, h = argc > 3 ? std::atoi(argv[3]) : 360;
  cv::VideoCapture cap(argv[1]);
  if (!cap.isOpened()) return 1;
  double fps = cap.get(cv::CAP_PROP_FPS);
  cv::Mat frame, small;
  long n = 0;
  while (cap.read(frame)) {
    cv::resize(frame, small, cv::Size(w, h));
    ++n;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
  double minutes = n / fps / 60.0;
  std::printf("frames %ld at %.2f fps\ncpu_seconds_per_video_minute %.3f\n", n, fps, cpu / minutes);
  return n > 0 ? 0 : 1;
}
