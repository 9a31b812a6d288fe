// The one translation unit that compiles Boost.Asio, Asio's SSL layer and Boost.Beast
// (separate compilation: BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION
// are set for every target linking gridsight_asio). Everything else includes only the headers,
// which keeps each file that uses Asio or Beast cheap to compile.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
