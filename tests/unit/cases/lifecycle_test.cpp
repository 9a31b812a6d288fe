#include "aggregator/cases/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace gridsight::cases {
namespace {

using S = State;
using A = Action;

// The expected lifecycle, written independently of the implementation's table.
const std::map<std::pair<S, A>, S>& expected() {
  static const std::map<std::pair<S, A>, S> m = {
      {{S::kSelfCorrection, A::kSelfCorrectionCleared}, S::kSelfCorrected},
      {{S::kSelfCorrection, A::kSelfCorrectionPersisted}, S::kReported},
      {{S::kSelfCorrection, A::kReject}, S::kRejected},
      {{S::kReported, A::kFile}, S::kFiled},
      {{S::kReported, A::kReject}, S::kRejected},
      {{S::kFiled, A::kDispatch}, S::kDispatched},
      {{S::kFiled, A::kCallIn}, S::kDispatched},
      {{S::kDispatched, A::kReturn}, S::kReturned},
      {{S::kDispatched, A::kResolve}, S::kResolved},
      {{S::kDispatched, A::kExtend}, S::kDispatched},
      {{S::kDispatched, A::kPark}, S::kParked},
      {{S::kDispatched, A::kRemind}, S::kDispatched},
      {{S::kDispatched, A::kSupervise}, S::kDispatched},
      {{S::kReturned, A::kDispatch}, S::kDispatched},
      {{S::kReturned, A::kCallIn}, S::kDispatched},
      {{S::kReturned, A::kReject}, S::kRejected},
      {{S::kParked, A::kUnpark}, S::kDispatched},
      {{S::kResolved, A::kVerify}, S::kVerified},
      {{S::kResolved, A::kRework}, S::kDispatched},
      {{S::kVerified, A::kClose}, S::kClosed},
      {{S::kClosed, A::kEvaluate}, S::kEvaluated},
      // The camera's "no longer sees it": recorded before closing, state unchanged.
      {{S::kSelfCorrection, A::kIncidentEnded}, S::kSelfCorrection},
      {{S::kReported, A::kIncidentEnded}, S::kReported},
      {{S::kFiled, A::kIncidentEnded}, S::kFiled},
      {{S::kDispatched, A::kIncidentEnded}, S::kDispatched},
      {{S::kReturned, A::kIncidentEnded}, S::kReturned},
      {{S::kParked, A::kIncidentEnded}, S::kParked},
      {{S::kResolved, A::kIncidentEnded}, S::kResolved},
      {{S::kVerified, A::kIncidentEnded}, S::kVerified},
  };
  return m;
}

TEST(Lifecycle, EveryStateAndActionPairMatchesTheExpectedTable) {
  int legal = 0;
  for (int s = 0; s < kStateCount; ++s) {
    for (int a = 0; a < kActionCount; ++a) {
      auto st = static_cast<S>(s);
      auto ac = static_cast<A>(a);
      auto it = expected().find({st, ac});
      std::optional<S> got = next_state(st, ac);
      if (it == expected().end()) {
        EXPECT_FALSE(got) << to_string(st) << " + " << to_string(ac) << " should be illegal";
      } else {
        ++legal;
        ASSERT_TRUE(got) << to_string(st) << " + " << to_string(ac) << " should be legal";
        EXPECT_EQ(*got, it->second) << to_string(st) << " + " << to_string(ac);
      }
    }
  }
  EXPECT_EQ(legal, static_cast<int>(expected().size()));
}

TEST(Lifecycle, LegalTransitionIsRecordedWithActorTimeAndNote) {
  Case c;
  c.id = 7;
  c.state = S::kReported;
  const Transition& t = apply(c, A::kFile, "operator-li", 1234, "confirmed on video");
  EXPECT_EQ(c.state, S::kFiled);
  EXPECT_EQ(t.seq, 1);
  EXPECT_EQ(t.from, S::kReported);
  EXPECT_EQ(t.to, S::kFiled);
  EXPECT_EQ(t.actor, "operator-li");
  EXPECT_EQ(t.at_ms, 1234);
  EXPECT_EQ(t.note, "confirmed on video");
  apply(c, A::kDispatch, "dispatcher-wang", 2000, "");
  EXPECT_EQ(c.history.size(), 2u);
  EXPECT_EQ(c.history[1].seq, 2);
}

TEST(Lifecycle, EveryIllegalTransitionIsRefusedAndChangesNothing) {
  for (int s = 0; s < kStateCount; ++s) {
    for (int a = 0; a < kActionCount; ++a) {
      auto st = static_cast<S>(s);
      auto ac = static_cast<A>(a);
      if (expected().count({st, ac})) continue;
      Case c;
      c.id = 3;
      c.state = st;
      c.history.push_back({1, A::kReport, S::kReported, st, "cam", 1, ""});
      Case before = c;
      try {
        apply(c, ac, "someone", 99, "note");
        ADD_FAILURE() << to_string(st) << " + " << to_string(ac) << " was accepted";
      } catch (const CaseError& e) {
        EXPECT_EQ(e.code(), CaseError::Code::kIllegalTransition);
        EXPECT_NE(std::string(e.what()).find(to_string(st)), std::string::npos) << e.what();
      }
      EXPECT_EQ(c, before);
    }
  }
}

TEST(Lifecycle, ATransitionNeedsAnActor) {
  Case c;
  c.state = S::kReported;
  Case before = c;
  EXPECT_THROW(apply(c, A::kFile, "", 1, ""), CaseError);
  EXPECT_EQ(c, before);
}

TEST(Lifecycle, NamesRoundTrip) {
  std::set<std::string> names;
  for (int s = 0; s < kStateCount; ++s) {
    auto st = static_cast<S>(s);
    EXPECT_EQ(state_from_string(to_string(st)), st);
    names.insert(to_string(st));
  }
  for (int a = 0; a < kActionCount; ++a) {
    auto ac = static_cast<A>(a);
    EXPECT_EQ(action_from_string(to_string(ac)), ac);
    names.insert(to_string(ac));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kStateCount + kActionCount) - 0u);
  EXPECT_TRUE(is_terminal(S::kEvaluated));
  EXPECT_FALSE(is_open(S::kClosed));
  EXPECT_TRUE(is_open(S::kParked));
}

}  // namespace
}  // namespace gridsight::cases
