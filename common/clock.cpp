#include "common/clock.h"

#include <sys/timex.h>

namespace gridsight {

bool system_clock_synchronised() {
  struct timex tx {};
  int state = adjtimex(&tx);
  return state != TIME_ERROR && state != -1 && !(tx.status & STA_UNSYNC);
}

}  // namespace gridsight
