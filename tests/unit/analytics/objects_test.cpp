// Object detection backends, tracking and the object rules (loitering, crowd, parking, left
// object, stall) on synthetic scenes and a generated model: no files from outside, so these
// also run on arm64 under qemu (the DNN backend included).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/objects/blobs/blob_detector.h"
#include "edge/analytics/objects/dnn/dnn_detector.h"
#include "edge/analytics/objects/tracker.h"
#include "tests/unit/analytics/scene.h"
#include "tests/unit/analytics/tiny_model.h"

namespace gridsight::analytics::test {
namespace {

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/gridsight-objects-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

// ------------------------------------------------------------------ DNN backend

TEST(DnnBackend, GeneratedModelFindsAndClassifiesObjects) {
  Dir dir;
  const auto manifest = ModelManifest::load(write_tiny_model(dir.path));
  EXPECT_EQ(manifest.labels.size(), 2u);
  auto model = load_dnn_model(manifest);
  ObjectSettings s;
  s.backend = "dnn";
  auto det = make_object_detector(s, model);
  EXPECT_STREQ(det->name(), "dnn");

  cv::Mat img(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::rectangle(img, cv::Rect(40, 60, 40, 60), cv::Scalar(0, 0, 255), cv::FILLED);    // red
  cv::rectangle(img, cv::Rect(200, 120, 60, 40), cv::Scalar(255, 0, 0), cv::FILLED);  // blue
  ObjectInput in;
  in.frame = &img;
  std::vector<Detection> out;
  det->detect(in, out);
  int people = 0, vehicles = 0;
  for (const auto& d : out) {
    const cv::Point2f c(d.box.x + d.box.width / 2, d.box.y + d.box.height / 2);
    if (d.cls == ObjectClass::kPerson) {
      ++people;
      EXPECT_TRUE(cv::Rect2f(40 / 320.f, 60 / 240.f, 40 / 320.f, 60 / 240.f).contains(c));
    } else {
      ASSERT_EQ(d.cls, ObjectClass::kVehicle);
      ++vehicles;
      EXPECT_TRUE(cv::Rect2f(200 / 320.f, 120 / 240.f, 60 / 320.f, 40 / 240.f).contains(c));
    }
    EXPECT_GT(d.confidence, 0.9f);
  }
  EXPECT_GE(people, 1);
  EXPECT_GE(vehicles, 1);

  // Only the given regions are analysed: the blue car's region alone gives only the car,
  // in frame coordinates.
  out.clear();
  in.regions = {cv::Rect2f(0.55f, 0.4f, 0.35f, 0.4f)};
  det->detect(in, out);
  ASSERT_FALSE(out.empty());
  for (const auto& d : out) {
    EXPECT_EQ(d.cls, ObjectClass::kVehicle);
    EXPECT_GT(d.box.x, 0.55f);
  }

  // A grey scene: nothing.
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(90, 90, 90));
  in.frame = &grey;
  in.regions.clear();
  out.clear();
  det->detect(in, out);
  EXPECT_TRUE(out.empty());
}

TEST(DnnBackend, MissingOrBrokenModelIsAStartupErrorNamingTheManifest) {
  Dir dir;
  const std::string path = write_tiny_model(dir.path);
  std::filesystem::remove(dir.path + "/tiny.weights");
  try {
    ModelManifest::load(path);
    FAIL() << "a missing weights file must fail";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tiny.weights"), std::string::npos) << e.what();
  }
  // Truncated weights: the manifest loads, the model does not.
  std::ofstream(dir.path + "/tiny.weights", std::ios::binary) << "abc";
  const auto m = ModelManifest::load(path);
  try {
    load_dnn_model(m);
    FAIL() << "broken weights must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  // Through the camera's configuration: the camera cannot start.
  write_tiny_model(dir.path);
  std::ofstream(dir.path + "/tiny.weights", std::ios::binary) << "abc";
  const auto cfg = config_of("objects: {backend: dnn, model: " + path +
                             "}\nrules:\n  - {id: l, detector: loitering}\n");
  EXPECT_THROW(CameraAnalytics{cfg}, std::runtime_error);
  // A manifest with a label mapping to no label of the model names the key.
  std::ofstream(dir.path + "/bad.yaml")
      << "format: onnx\nfile: tiny.weights\ninput_size: [32, 32]\ndecoding: ssd\n"
         "labels: [a]\nclasses: {person: [b]}\n";
  try {
    ModelManifest::load(dir.path + "/bad.yaml");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("classes.person"), std::string::npos) << e.what();
  }
}

TEST(DnnBackend, SsdDecoding) {
  ModelManifest m;
  m.decoding = "ssd";
  m.class_offset = true;
  m.labels = {"person", "car", "dog"};
  m.classes = {0, 1, -1};
  m.confidence = 0.5;
  const int sz[] = {1, 1, 4, 7};
  cv::Mat blob(4, sz, CV_32F);
  const float rows[4][7] = {{0, 1, 0.9f, 0.1f, 0.1f, 0.2f, 0.4f},   // person
                            {0, 2, 0.8f, 0.5f, 0.5f, 0.9f, 0.7f},   // car
                            {0, 3, 0.95f, 0.3f, 0.3f, 0.4f, 0.4f},  // dog: unmapped
                            {0, 1, 0.3f, 0.6f, 0.1f, 0.7f, 0.3f}};  // below threshold
  std::memcpy(blob.ptr<float>(), rows, sizeof rows);
  std::vector<Detection> out;
  decode_ssd(blob, m, 0.4f, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cls, ObjectClass::kPerson);
  EXPECT_NEAR(out[0].box.height, 0.3f, 1e-5);
  EXPECT_EQ(out[1].cls, ObjectClass::kVehicle);
  EXPECT_NEAR(out[1].box.x, 0.5f, 1e-5);
}

// ------------------------------------------------------------------ blobs, HOG

TEST(BlobBackend, CalibratedSizeAndShape) {
  ObjectSettings s;
  const float aspect = 16.f / 9.f;
  EXPECT_EQ(classify_blob({0.1f, 0.1f, 0.03f, 0.15f}, aspect, s), ObjectClass::kPerson);
  EXPECT_EQ(classify_blob({0.1f, 0.1f, 0.2f, 0.18f}, aspect, s), ObjectClass::kVehicle);
  EXPECT_EQ(classify_blob({0.1f, 0.1f, 0.02f, 0.02f}, aspect, s), ObjectClass::kOther);
  EXPECT_EQ(classify_blob({0.1f, 0.1f, 0.01f, 0.03f}, aspect, s), ObjectClass::kOther);  // tiny
}

TEST(HogBackend, RunsWithoutWeightsAndFindsNoPeopleInAnEmptyScene) {
  ObjectSettings s;
  s.backend = "hog";
  auto det = make_object_detector(s, nullptr);
  EXPECT_STREQ(det->name(), "hog");
  cv::Mat img(180, 320, CV_8UC3, cv::Scalar(100, 110, 120));
  ObjectInput in;
  in.frame = &img;
  std::vector<Detection> out;
  det->detect(in, out);
  EXPECT_TRUE(out.empty());
}

// ------------------------------------------------------------------ tracking

Detection det_at(float x, float y, ObjectClass cls = ObjectClass::kPerson) {
  return {cv::Rect2f(x, y, 0.05f, 0.15f), cls, 0.8f};
}

TEST(Tracker, IdsStableThroughAShortOcclusionAndCrossing) {
  ObjectSettings s;
  s.max_missed_ms = 2'000;
  Tracker tr(s, {{{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}}});  // zone: the right half
  std::int64_t t = 0;
  // Two walkers crossing each other, 5 fps: A left->right, B right->left, both 0.1 / s.
  for (int i = 0; i <= 40; ++i, t += 200) {
    const float s_ = static_cast<float>(i) * 0.02f;
    std::vector<Detection> d;
    const bool occluded = i >= 15 && i < 20;  // A hidden for 1 s (behind a pillar)
    if (!occluded) d.push_back(det_at(0.1f + s_, 0.3f));
    d.push_back(det_at(0.85f - s_, 0.32f));
    tr.update(d, t);
  }
  ASSERT_EQ(tr.tracks().size(), 2u);
  const Track* a = nullptr;
  const Track* b = nullptr;
  for (const auto& x : tr.tracks()) (x.id == 1 ? a : b) = &x;
  ASSERT_TRUE(a && b) << "ids changed";
  EXPECT_EQ(b->id, 2);
  EXPECT_GT(a->centre().x, 0.8f);  // A is the one now on the right
  EXPECT_LT(b->centre().x, 0.2f);
  EXPECT_NEAR(a->speed(), 0.1f, 0.02f);
  EXPECT_EQ(a->dwell_ms(tr.now()), 8'000);
  ASSERT_EQ(a->zone_since.size(), 1u);
  EXPECT_GE(a->zone_since[0], 0);  // A is in the right half
  EXPECT_LT(b->zone_since[0], 0);
  EXPECT_LT(a->stationary_ms(tr.now()), 1'000);

  // A stops: stationary time grows; gone for longer than max_missed: dropped.
  for (int i = 0; i < 10; ++i, t += 200) tr.update({det_at(0.9f, 0.3f)}, t);
  ASSERT_EQ(tr.tracks().size(), 2u);
  for (const auto& x : tr.tracks()) {
    if (x.id == 1) {
      EXPECT_GE(x.stationary_ms(tr.now()), 1'600);
    }
  }
  for (int i = 0; i < 12; ++i, t += 200) tr.update({}, t);
  EXPECT_TRUE(tr.tracks().empty());
}

// ------------------------------------------------------------------ rules on scenes

const char* kObjectsCamera = R"(
zones:
  - {id: square, polygon: [0.3, 0.3, 0.9, 0.3, 0.9, 0.95, 0.3, 0.95]}
motion: {learning_time: 1s, absorb_time: 120s}
objects: {backend: blobs, static_after: 2s}
rules:
)";

cv::Mat person_at(const cv::Mat& bg, double x, double y, cv::Scalar colour = {40, 40, 200}) {
  cv::Mat f = bg.clone();
  const cv::Point p(static_cast<int>(x * kW), static_cast<int>(y * kH));
  cv::rectangle(f, cv::Rect(p.x - 8, p.y - 50, 16, 50), colour, cv::FILLED);
  cv::circle(f, cv::Point(p.x, p.y - 56), 7, colour, cv::FILLED);
  return f;
}

std::vector<Incident> of_type(const std::vector<Incident>& all, const std::string& type) {
  std::vector<Incident> v;
  for (const auto& r : opened(all))
    if (r.type == type) v.push_back(r);
  return v;
}

TEST(ObjectRules, LoiteringFiresForAPersonStayingNotForOnePassing) {
  const auto cfg = config_of(std::string(kObjectsCamera) +
                             "  - {id: loit, detector: loitering, zones: [square], dwell: 8s}\n");
  const cv::Mat bg = textured_scene(7);
  {
    CameraAnalytics cam(cfg);
    // Arrives at 3 s, wanders slowly inside the zone until 20 s.
    auto out = run(cam, 0, 20, [&](double t, cv::Mat& f) {
      f = t < 3 ? bg.clone() : person_at(bg, 0.5 + 0.1 * std::sin(t / 3), 0.7);
    });
    auto l = of_type(out, "person.loitering");
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].zone, "square");
    EXPECT_NEAR(start_s(l[0]), 3 + 8, 1.5);
  }
  {
    CameraAnalytics cam(cfg);  // walks across in 7 s
    auto out = run(cam, 0, 20, [&](double t, cv::Mat& f) {
      f = t < 3 || t > 10 ? bg.clone() : person_at(bg, 0.25 + 0.1 * (t - 3), 0.7);
    });
    EXPECT_TRUE(of_type(out, "person.loitering").empty());
  }
}

TEST(ObjectRules, CrowdNeedsTheCountForTheDuration) {
  const auto cfg = config_of(std::string(kObjectsCamera) +
                             "  - {id: crowd, detector: crowd, zones: [square], min_count: 3, "
                             "dwell: 4s, min_duration: 5s}\n");
  const cv::Mat bg = textured_scene(8);
  auto scene = [&](int n) {
    return [&, n](double t, cv::Mat& f) {
      f = bg.clone();
      if (t < 3) return;
      for (int i = 0; i < n; ++i) {
        f = person_at(f, 0.4 + 0.12 * i + 0.01 * std::sin(t + i), 0.6 + 0.1 * (i % 2));
      }
    };
  };
  CameraAnalytics three(cfg);
  auto c = of_type(run(three, 0, 15, scene(3)), "crowd.gathering");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NEAR(start_s(c[0]), 3 + 4, 1.5);  // people who stayed 4 s, for 5 s
  CameraAnalytics two(cfg);
  EXPECT_TRUE(of_type(run(two, 0, 15, scene(2)), "crowd.gathering").empty());
}

cv::Mat car_at(const cv::Mat& bg, double x, double y) {
  cv::Mat f = bg.clone();
  const cv::Point p(static_cast<int>(x * kW), static_cast<int>(y * kH));
  cv::rectangle(f, cv::Rect(p.x - 45, p.y - 40, 90, 40), cv::Scalar(200, 60, 30), cv::FILLED);
  cv::rectangle(f, cv::Rect(p.x - 30, p.y - 55, 60, 16), cv::Scalar(90, 40, 20), cv::FILLED);
  return f;
}

TEST(ObjectRules, IllegalParkingForAVehicleStoppedBeyondTheDwellNotOnePassing) {
  const auto cfg = config_of(std::string(kObjectsCamera) +
                             "  - {id: park, detector: parking, zones: [square], dwell: 8s}\n");
  const cv::Mat bg = textured_scene(9);
  {
    CameraAnalytics cam(cfg);  // drives in from the left, stops at 0.6 at 5 s
    auto out = run(cam, 0, 22, [&](double t, cv::Mat& f) {
      f = t < 2 ? bg.clone() : car_at(bg, std::min(0.6, 0.1 + 0.5 * (t - 2) / 3), 0.8);
    });
    auto p = of_type(out, "parking.illegal");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NEAR(start_s(p[0]), 5 + 8, 1.5);
    EXPECT_TRUE(of_type(out, "object.left").empty());
  }
  {
    CameraAnalytics cam(cfg);  // drives through
    auto out = run(cam, 0, 22, [&](double t, cv::Mat& f) {
      f = t < 2 || t > 9 ? bg.clone() : car_at(bg, 0.1 + 0.12 * (t - 2), 0.8);
    });
    EXPECT_TRUE(of_type(out, "parking.illegal").empty());
  }
}

cv::Mat box_at(const cv::Mat& bg, double x, double y) {
  cv::Mat f = bg.clone();
  const cv::Point p(static_cast<int>(x * kW), static_cast<int>(y * kH));
  cv::rectangle(f, cv::Rect(p.x - 14, p.y - 20, 28, 20), cv::Scalar(30, 150, 220), cv::FILLED);
  return f;
}

TEST(ObjectRules, LeftObjectPersistsNotWhenCarriedAway) {
  const auto cfg = config_of(std::string(kObjectsCamera) +
                             "  - {id: left, detector: left_object, zones: [square], dwell: 6s}\n");
  const cv::Mat bg = textured_scene(10);
  {
    CameraAnalytics cam(cfg);  // placed at 4 s, stays
    auto out = run(cam, 0, 20,
                   [&](double t, cv::Mat& f) { f = t < 4 ? bg.clone() : box_at(bg, 0.6, 0.8); });
    auto l = of_type(out, "object.left");
    ASSERT_EQ(l.size(), 1u);
    EXPECT_NEAR(start_s(l[0]), 4, 1.0);  // the event starts when it was left
    EXPECT_EQ(l[0].attributes.at("dwell_s"), "6");
    EXPECT_EQ(l[0].zone, "square");
  }
  {
    CameraAnalytics cam(cfg);  // placed at 4 s, taken away at 9 s
    auto out = run(cam, 0, 20, [&](double t, cv::Mat& f) {
      f = t < 4 || t > 9 ? bg.clone() : box_at(bg, 0.6, 0.8);
    });
    EXPECT_TRUE(of_type(out, "object.left").empty());
  }
}

TEST(ObjectRules, StallNeedsPeopleAroundTheStaticObject) {
  const auto cfg = config_of(std::string(kObjectsCamera) +
                             "  - {id: stall, detector: stall, zones: [square], dwell: 6s}\n");
  const cv::Mat bg = textured_scene(11);
  auto scene = [&](bool vendor) {
    return [&, vendor](double t, cv::Mat& f) {
      f = t < 3 ? bg.clone() : box_at(bg, 0.6, 0.8);
      if (vendor && t >= 3) f = person_at(f, 0.68 + 0.02 * std::sin(t), 0.8);
    };
  };
  CameraAnalytics with(cfg);
  auto s = of_type(run(with, 0, 20, scene(true)), "vendor.stall");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_NEAR(start_s(s[0]), 3 + 6, 1.5);
  CameraAnalytics without(cfg);
  EXPECT_TRUE(of_type(run(without, 0, 20, scene(false)), "vendor.stall").empty());
}

TEST(FireDetector, ExperimentalFlickeringFlameFiresNotSteadyRedThings) {
  EXPECT_THROW(config_of("rules:\n  - {id: f, detector: fire}\n"), std::exception);
  // No object rule: the `objects:` section would be refused (it would not apply).
  const auto cfg = config_of(
      "zones:\n"
      "  - {id: square, polygon: [0.3, 0.3, 0.9, 0.3, 0.9, 0.95, 0.3, 0.95]}\n"
      "motion: {learning_time: 1s, absorb_time: 120s}\n"
      "rules:\n"
      "  - {id: f, detector: fire, experimental: true, zones: [square]}\n");
  const cv::Mat bg = textured_scene(12);
  cv::RNG rng(3);
  {
    CameraAnalytics cam(cfg);  // a flame burning from 3 s: its shape changes every frame
    auto out = run(cam, 0, 15, [&](double t, cv::Mat& f) {
      f = bg.clone();
      if (t < 3) return;
      for (int k = 0; k < 6; ++k) {
        // One draw per statement (argument order is unspecified: scene.h).
        const int dy = rng.uniform(0, 40), dx = rng.uniform(-12, 12);
        const int green = rng.uniform(120, 220), blue = rng.uniform(0, 60);
        const int h = rng.uniform(10, 30), w = rng.uniform(6, 18);
        cv::ellipse(f, cv::Point(380 + dx, 280 - dy), cv::Size(w, h), 0, 0, 360,
                    cv::Scalar(blue, green, 255), cv::FILLED);
      }
    });
    auto fire = of_type(out, "fire.smoke");
    ASSERT_EQ(fire.size(), 1u);
    EXPECT_NEAR(start_s(fire[0]), 3 + 1, 1.5);  // after 1 s of flicker history
    EXPECT_EQ(fire[0].attributes.at("experimental"), "true");
  }
  {
    CameraAnalytics cam(cfg);  // an orange car drives through; an orange sign stays
    auto out = run(cam, 0, 15, [&](double t, cv::Mat& f) {
      f = bg.clone();
      cv::rectangle(f, cv::Rect(250, 150, 40, 30), cv::Scalar(0, 140, 255), cv::FILLED);
      if (t > 3 && t < 9) {
        const int x = static_cast<int>(100 + 80 * (t - 3));
        cv::rectangle(f, cv::Rect(x, 260, 90, 40), cv::Scalar(20, 120, 240), cv::FILLED);
      }
    });
    EXPECT_TRUE(of_type(out, "fire.smoke").empty());
  }
}

TEST(ObjectRules, DwellMustBeShorterThanTheAbsorbTime) {
  EXPECT_THROW(config_of("motion: {absorb_time: 60s}\nrules:\n  - {id: l, detector: left_object, "
                         "dwell: 60s}\n"),
               std::exception);
}

}  // namespace
}  // namespace gridsight::analytics::test
