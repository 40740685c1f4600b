// sockit/result.hpp: the value-or-error type every sockit call returns, and the transfer
// record of send_all/recv_exact. Our own small type because clang 14 cannot use libstdc++'s
// std::expected; a result holds a value or an error, never both.
#pragma once

#include <cassert>
#include <cstddef>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace sockit {

template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, std::error_code>,
                "result<std::error_code> would be ambiguous; return std::error_code instead");

 public:
  result(const T& value) : v_(value) {}                 // NOLINT: implicit by design
  result(T&& value) : v_(std::move(value)) {}           // NOLINT
  result(std::error_code ec) : v_(ec) { assert(ec); }   // NOLINT
  result(std::errc e) : v_(std::make_error_code(e)) {}  // NOLINT
  template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
  result(E e) : v_(make_error_code(e)) {}  // NOLINT: sockit::errc and friends, found by ADL

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return *std::get_if<0>(&v_); }
  const T& value() const& { assert(has_value()); return *std::get_if<0>(&v_); }
  T&& value() && { assert(has_value()); return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; an empty error_code when the result holds a value.
  std::error_code error() const noexcept {
    if (auto* ec = std::get_if<1>(&v_)) return *ec;
    return {};
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, std::error_code> v_;
};

// What a looping transfer achieved: the bytes that moved, and the error that stopped it (empty
// when everything moved). Both are meaningful at once, as with asio's write(..., ec).
struct [[nodiscard]] transfer {
  std::size_t bytes = 0;
  std::error_code ec;

  bool ok() const noexcept { return !ec; }
  explicit operator bool() const noexcept { return ok(); }
};

}  // namespace sockit
