#pragma once
// "Nothing arrived" proves a fault only if the same probe could have
// delivered: a probe with a wrong address, a namespace without a route or a
// listener that never opened also delivers nothing. So every negative
// assertion runs beside a positive control on the same path in the same run:
// the same probe from the same namespace, through the same device, to a
// destination (or port, or protocol) the fault leaves alone, or the same probe
// before the fault. The control must deliver everything it sent.
//
//   EXPECT_TRUE(nothing_delivered([&] { return udp('a', 'b', false); },
//                                 [&] { return udp('a', 'c', false); }, 20));
//
// Probes return a count delivered (int) or whether they got through (bool).

#include <gtest/gtest.h>

namespace injector::testing {

// The control's count, already measured in this run (e.g. before the fault
// was applied), and the negative probe.
template <class Probe>
::testing::AssertionResult nothing_delivered_after_control(int control_got, int control_want, Probe&& probe) {
  if (control_got < control_want) {
    return ::testing::AssertionFailure() << "the positive control delivered " << control_got << " of "
                                         << control_want << ": the probe or the path is broken, so silence "
                                         << "would prove nothing";
  }
  const int got = static_cast<int>(probe());
  if (got != 0) {
    return ::testing::AssertionFailure() << "delivered " << got << " (the control delivered " << control_got << " of "
                                         << control_want << ")";
  }
  return ::testing::AssertionSuccess();
}

// Runs the control first, then the negative probe.
template <class Probe, class Control>
::testing::AssertionResult nothing_delivered(Probe&& probe, Control&& control, int control_want) {
  const int control_got = static_cast<int>(control());
  return nothing_delivered_after_control(control_got, control_want, probe);
}

}  // namespace injector::testing
