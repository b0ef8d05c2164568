# Every dependency comes from a Debian 12 package; scripts/install-deps.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 REQUIRED CONFIG COMPONENTS json system)
find_package(Protobuf REQUIRED)
find_package(prometheus-cpp REQUIRED CONFIG COMPONENTS core)
find_package(RocksDB REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
# Howard Hinnant's date/tz (libhowardhinnant-date-dev), reading the system tz database.
find_package(date REQUIRED CONFIG)
find_package(OpenSSL REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
find_program(PROTOC_EXECUTABLE protoc REQUIRED)
