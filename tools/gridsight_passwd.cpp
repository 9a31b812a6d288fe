// gridsight-passwd: reads a password on stdin (one line) and prints its slow crypt(3) hash, for
// the status page password (edge config status.password_hash) and console users
// (aggregator config). The password never appears on a command line or in a log.
#include <unistd.h>

#include <iostream>
#include <string>

#include "common/http/password.h"

int main(int argc, char** argv) {
  if (argc > 1) {
    std::cerr << "usage: gridsight-passwd < password-file   (or type it and press Enter)\n"
                 "prints a yescrypt hash for status.password_hash or a user's password_hash\n";
    return argc == 2 && std::string(argv[1]) == "--help" ? 0 : 2;
  }
  if (isatty(STDIN_FILENO)) std::cerr << "password: " << std::flush;
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    std::cerr << "gridsight-passwd: no password given on stdin\n";
    return 1;
  }
  if (password.size() < 8) {
    std::cerr << "gridsight-passwd: refusing a password shorter than 8 characters\n";
    return 1;
  }
  try {
    std::cout << gridsight::http::hash_password(password) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "gridsight-passwd: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
