// Boost.Asio, Beast and URL are compiled once, here (BOOST_*_SEPARATE_COMPILATION), instead
// of in every file that includes them.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/url/src.hpp>
