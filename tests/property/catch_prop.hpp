// rc::prop (rapidcheck/catch.h) with one change: a failure's report goes to
// stderr as RapidCheck prints it. rc::prop hands it to Catch as an INFO
// message, and Catch wraps messages at 80 columns, breaking the printed
// scenario's JSON strings at their spaces: pasted as a regression test, a
// string such as an exit error would lose them.
#pragma once

#include <iostream>
#include <string>
#include <utility>

#include <catch2/catch.hpp>
#include <rapidcheck.h>

namespace property_tests {

template <typename Testable>
void catch_prop(const std::string& description, Testable&& testable) {
  SECTION(description) {
    const auto result = rc::detail::checkTestable(std::forward<Testable>(testable));
    if (result.template is<rc::detail::SuccessResult>()) {
      if (!result.template get<rc::detail::SuccessResult>().distribution.empty()) {  // RC_TAG's figures, as rc::prop prints them
        std::cout << "- " << description << "\n";
        rc::detail::printResultMessage(result, std::cout);
        std::cout << std::endl;
      }
      SUCCEED();
    } else {
      std::cerr << "- " << description << "\n";
      rc::detail::printResultMessage(result, std::cerr);
      std::cerr << std::endl;
      FAIL("'" << description << "' failed: RapidCheck's report with the shrunk counterexample is above, unwrapped");
    }
  }
}

}  // namespace property_tests
