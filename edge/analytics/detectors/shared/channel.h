#pragma once
// The rule engine channel of one rule (and zone): the fields every detector sets the same way
// from the rule — id, type, zone and its ground location, timings, confidence, schedule.

#include <string>

#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {

// zone may be null (the whole frame). The caller adds what is its own (attributes, route...).
ChannelSpec rule_channel(const Rule& rule, const Zone* zone, const DetectorSetup& setup,
                         std::string box_label);

}  // namespace gridsight::analytics
