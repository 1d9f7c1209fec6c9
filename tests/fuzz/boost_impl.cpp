// Boost.JSON and Boost.URL compiled into the fuzz library, so that they are
// instrumented like the code under test (Debian's shared libraries are not,
// and coverage inside the JSON parser is what lets the fuzzer build bodies).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
