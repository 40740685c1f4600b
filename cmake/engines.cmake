# The event loop backends the test suite reruns per engine, in the order of the engine table
# (src/poller/engine_table.cpp; `sockit --engines` prints it). CMake needs the names before
# anything is built, so they are written here once; unit.engines.cmake_list_is_the_table fails
# when this list and available_engines() disagree. The first is the default (engine::automatic).
set(SOCKIT_ENGINES uring epoll poll select)
# The Windows build's engines, in the order of its table (tests/windows runs the loop suites per engine).
set(SOCKIT_WINDOWS_ENGINES iocp wsapoll select)
