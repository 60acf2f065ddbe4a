#pragma once
// std::visit over a variant with one lambda per alternative.

namespace injector {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace injector
