#include "CCleanup.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// Implementation note: fixed static slots, so the handler never touches the heap. A slot's
// state is 0 (free), 1 (being written or cleared) or 2 (ready); the handler unlinks ready slots
// only, and registration claims a slot with a compare-and-swap, so threads need no lock.
enum { SLOTS = 256, FREE = 0, BUSY = 1, READY = 2 };
static char paths[SLOTS][PATH_MAX];
static int states[SLOTS];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const int signals[] = {SIGINT, SIGTERM, SIGHUP};

static void handler(int sig) {
  for (int i = 0; i < SLOTS; i++) {
    if (__atomic_load_n(&states[i], __ATOMIC_ACQUIRE) == READY) unlink(paths[i]);
  }
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(sig, &action, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, 0);
  raise(sig);
}

static void install(void) {
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    struct sigaction old;
    if (sigaction(signals[i], 0, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    if (old.sa_handler != SIG_DFL) continue;  // someone else's handler: leave it
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    for (unsigned j = 0; j < sizeof signals / sizeof signals[0]; j++) {
      sigaddset(&action.sa_mask, signals[j]);
    }
    sigaction(signals[i], &action, 0);
  }
}

void gic_cleanup_install(void) {
  pthread_once(&once, install);
  sigset_t set;
  sigemptyset(&set);
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&set, signals[i]);
  pthread_sigmask(SIG_UNBLOCK, &set, 0);
}

int gic_cleanup_register(const char *path) {
  size_t length = strlen(path);
  if (length >= PATH_MAX) return -1;
  pthread_once(&once, install);
  for (int i = 0; i < SLOTS; i++) {
    int expected = FREE;
    if (__atomic_compare_exchange_n(
            &states[i], &expected, BUSY, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
      memcpy(paths[i], path, length + 1);
      __atomic_store_n(&states[i], READY, __ATOMIC_RELEASE);
      return i;
    }
  }
  return -1;
}

void gic_cleanup_unregister(int slot) {
  if (slot < 0 || slot >= SLOTS) return;
  __atomic_store_n(&states[slot], FREE, __ATOMIC_RELEASE);
}
