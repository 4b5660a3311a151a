#pragma once
// A stream layer that reads ahead, for use under asio::ssl::stream (included by server.cc only).
//
// OpenSSL asks its transport for one TLS record (at most 17 KiB) at a time, so reading a 4 MB body under
// TLS costs some 250 recv calls. Below the TLS layer this one takes whatever the socket holds, up to its
// capacity, in one call, and serves the record-sized reads above it from that buffer.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/system/error_code.hpp>
#include <type_traits>
#include <utility>

namespace lakeshift::http {

// Next is a beast::basic_stream (its socket is the lowest layer asio::ssl::stream asks for).
template <typename Next>
class ReadAheadStream {
 public:
  using next_layer_type = Next;
  using lowest_layer_type = typename Next::socket_type;
  using executor_type = typename Next::executor_type;

  // Takes what constructs the next layer (asio::ssl::stream passes the accepted socket).
  template <typename Arg, typename = std::enable_if_t<!std::is_same_v<std::decay_t<Arg>, ReadAheadStream>>>
  explicit ReadAheadStream(Arg&& arg) : next_(std::forward<Arg>(arg)) {}

  // Reads of the socket take up to `bytes`; 0 turns read-ahead off.
  void SetCapacity(size_t bytes) {
    capacity_ = bytes;
    if (bytes > 0) buffered_.reserve(bytes);
  }
  // Bytes read from the socket and not yet handed up.
  size_t buffered() const { return buffered_.size(); }

  Next& next_layer() { return next_; }
  const Next& next_layer() const { return next_; }
  lowest_layer_type& lowest_layer() { return next_.socket(); }
  const lowest_layer_type& lowest_layer() const { return next_.socket(); }
  executor_type get_executor() noexcept { return next_.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const MutableBuffers& out) {
          if (buffered_.size() > 0 || boost::asio::buffer_size(out) == 0 || capacity_ == 0) {
            if (buffered_.size() == 0 && capacity_ == 0 && boost::asio::buffer_size(out) > 0) {
              next_.async_read_some(out, std::move(handler));
              return;
            }
            // Served from the buffer (or a zero-length read, which OpenSSL uses to defer a completion):
            // complete through the executor, never inside the initiating call.
            size_t n = boost::asio::buffer_copy(out, buffered_.data());
            buffered_.consume(n);
            auto ex = boost::asio::get_associated_executor(handler, get_executor());
            boost::asio::post(ex, [h = std::move(handler), n]() mutable { h(boost::system::error_code{}, n); });
            return;
          }
          next_.async_read_some(buffered_.prepare(capacity_),
                                [this, out, h = std::move(handler)](boost::system::error_code ec, size_t got) mutable {
                                  buffered_.commit(got);
                                  size_t n = boost::asio::buffer_copy(out, buffered_.data());
                                  buffered_.consume(n);
                                  h(ec, n);
                                });
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return next_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  Next next_;
  boost::beast::flat_buffer buffered_;
  size_t capacity_ = 0;
};

}  // namespace lakeshift::http
