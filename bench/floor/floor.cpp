// bench/floor: the plain client the bench measures Portolan against (issue 14). Plain POSIX
// sockets, one thread, no Qt: every time is taken with CLOCK_REALTIME right after the read(2)
// that completed the message, so the tool adds microseconds, not milliseconds.
//
//   floor watch  --etcd PORT --prefix P   etcd v3 watch (JSON gateway): "READY", then per event
//                                         "<recv ns> PUT|DELETE <key>"
//   floor watch2 --etcd PORT --prefix P   the same for etcd's v2 keys API (a streamed recursive
//                                         wait; needs etcd --enable-v2): "READY" once the
//                                         stream's headers are in, then the same lines
//   floor events --sock S                 Docker /events (container start/die): "READY", then
//                                         "<timeNano> <recv ns> <action> <name>"
//   floor etcd   --etcd PORT --n N        put -> watch and delete -> watch, N keys one by one:
//                                         {"put_ns":[...],"delete_ns":[...]}
//   floor inspect --sock S ID...          one bare inspect per id on a kept-alive connection:
//                                         {"inspect_ns":[...]}
//   floor react  --sock S --etcd PORT --prefix P
//                                         the least an agent can do: on `start` one inspect and
//                                         one put of P<name>, on `die` one delete of P<name>
//                                         (no inspect); "READY" once the event stream is open
#include "floorhttp.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char *arg(int argc, char **argv, const char *name, const char *fallback = nullptr)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return argv[i + 1];
    if (!fallback) {
        std::fprintf(stderr, "floor: %s is required\n", name);
        std::exit(2);
    }
    return fallback;
}

std::string prefixEnd(std::string p)
{
    p.back() = char(p.back() + 1);
    return p;
}

const std::string kEventsTarget = "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D"
                                  "%2C%22event%22%3A%5B%22start%22%2C%22die%22%5D%7D";

// The events of one watch message: (DELETE?, key). A PUT's type is left out by the gateway.
std::vector<std::pair<bool, std::string>> watchEvents(const std::string &msg)
{
    std::vector<std::pair<bool, std::string>> out;
    const std::string kv = "\"kv\":{\"key\":\"";
    const std::string del = "\"type\":\"DELETE\",";
    for (size_t p = msg.find(kv); p != std::string::npos; p = msg.find(kv, p + 1)) {
        const size_t start = p + kv.size();
        const size_t end = msg.find('"', start);
        const bool isDelete = p >= del.size() && msg.compare(p - del.size(), del.size(), del) == 0;
        out.emplace_back(isDelete, base64Decode(msg.substr(start, end - start)));
    }
    return out;
}

Conn openWatch(int port, const std::string &prefix)
{
    Conn w = Conn::tcp(port);
    w.send(request("POST", "/v3/watch",
                   "{\"create_request\":{\"key\":\"" + base64(prefix) + "\",\"range_end\":\"" +
                       base64(prefixEnd(prefix)) + "\"}}"));
    w.startStream();
    return w;
}

int watchMain(int argc, char **argv)
{
    Conn w = openWatch(std::atoi(arg(argc, argv, "--etcd")), arg(argc, argv, "--prefix"));
    std::string msg;
    int64_t t = 0;
    while (w.nextLine(msg, t)) {
        if (msg.find("\"created\":true") != std::string::npos)
            std::printf("READY\n");
        for (const auto &[isDelete, key] : watchEvents(msg))
            std::printf("%lld %s %s\n", (long long)t, isDelete ? "DELETE" : "PUT", key.c_str());
        std::fflush(stdout);
    }
    return 0;
}

// A v2 stream sends its headers at once and then one JSON event per line:
// {"action":"set","node":{"key":"/services/redis/x",...},"prevNode":{...}}.
int watch2Main(int argc, char **argv)
{
    const std::string prefix = arg(argc, argv, "--prefix");
    Conn w = Conn::tcp(std::atoi(arg(argc, argv, "--etcd")));
    w.send(request("GET", "/v2/keys" + prefix + "?wait=true&recursive=true&stream=true", ""));
    w.startStream();
    std::printf("READY\n");
    std::fflush(stdout);
    std::string msg;
    int64_t t = 0;
    while (w.nextLine(msg, t)) {
        const std::string action = jsonString(msg, "\"action\":\"");
        const bool isDelete =
            action == "delete" || action == "expire" || action == "compareAndDelete";
        const size_t node = msg.find("\"node\":{");
        if (node == std::string::npos)
            continue;
        std::printf("%lld %s %s\n", (long long)t, isDelete ? "DELETE" : "PUT",
                    jsonString(msg.substr(node), "\"key\":\"").c_str());
        std::fflush(stdout);
    }
    return 0;
}

struct DockerEvent {
    std::string action, name, id;
    long long timeNano = 0;
};

DockerEvent parseEvent(const std::string &line)
{
    DockerEvent e;
    e.action = jsonString(line, "\"Action\":\"");
    e.id = jsonString(line, "\"ID\":\"");
    const size_t attrs = line.find("\"Attributes\":{");
    if (attrs != std::string::npos)
        e.name = jsonString(line.substr(attrs), "\"name\":\"");
    const size_t tn = line.find("\"timeNano\":");
    if (tn != std::string::npos)
        e.timeNano = std::atoll(line.c_str() + tn + 11);
    return e;
}

Conn openEvents(const char *sock)
{
    Conn c = Conn::unix(sock);
    c.send(request("GET", kEventsTarget, ""));
    c.startStream();
    return c;
}

int eventsMain(int argc, char **argv)
{
    Conn c = openEvents(arg(argc, argv, "--sock"));
    std::printf("READY\n");
    std::fflush(stdout);
    std::string line;
    int64_t t = 0;
    while (c.nextLine(line, t)) {
        const DockerEvent e = parseEvent(line);
        std::printf("%lld %lld %s %s\n", e.timeNano, (long long)t, e.action.c_str(),
                    e.name.empty() ? "?" : e.name.c_str());
        std::fflush(stdout);
    }
    return 0;
}

void printArray(const char *name, const std::vector<int64_t> &v, bool last)
{
    std::printf("\"%s\":[", name);
    for (size_t i = 0; i < v.size(); ++i)
        std::printf("%s%lld", i ? "," : "", (long long)v[i]);
    std::printf("]%s", last ? "" : ",");
}

// Sends body to path on c and waits for both its answer and the watch event for key.
int64_t untilWatched(Conn &c, Conn &w, const std::string &path, const std::string &body,
                     const std::string &key, bool isDelete)
{
    const int64_t t0 = nowNs();
    c.send(request("POST", path, body));
    Response r = c.readResponse();
    if (r.status != 200)
        die("etcd " + path + " answered " + std::to_string(r.status));
    std::string msg;
    int64_t t = 0;
    for (;;) {
        if (!w.nextLine(msg, t))
            die("the watch closed");
        for (const auto &[d, k] : watchEvents(msg))
            if (d == isDelete && k == key)
                return t - t0;
    }
}

int etcdMain(int argc, char **argv)
{
    const int port = std::atoi(arg(argc, argv, "--etcd"));
    const int n = std::atoi(arg(argc, argv, "--n", "200"));
    Conn w = openWatch(port, "/benchfloor/");
    std::string msg;
    int64_t t = 0;
    while (w.nextLine(msg, t) && msg.find("\"created\":true") == std::string::npos) {
    }
    Conn c = Conn::tcp(port);
    std::vector<int64_t> puts, deletes;
    for (int i = 0; i < n; ++i) {
        const std::string key = "/benchfloor/k" + std::to_string(i);
        const std::string k64 = base64(key);
        puts.push_back(untilWatched(c, w, "/v3/kv/put",
                                    "{\"key\":\"" + k64 + "\",\"value\":\"" + base64("x") + "\"}",
                                    key, false));
        deletes.push_back(
            untilWatched(c, w, "/v3/kv/deleterange", "{\"key\":\"" + k64 + "\"}", key, true));
    }
    std::printf("{");
    printArray("put_ns", puts, false);
    printArray("delete_ns", deletes, true);
    std::printf("}\n");
    return 0;
}

int inspectMain(int argc, char **argv)
{
    const char *sock = arg(argc, argv, "--sock");
    Conn c = Conn::unix(sock);
    std::vector<int64_t> took;
    for (int i = 2; i < argc; ++i) {
        if (argv[i][0] == '-') {
            ++i;
            continue;
        }
        const int64_t t0 = nowNs();
        c.send(request("GET", std::string("/v1.41/containers/") + argv[i] + "/json", ""));
        if (c.readResponse().status != 200)
            die(std::string("inspect of ") + argv[i] + " failed");
        took.push_back(nowNs() - t0);
    }
    std::printf("{");
    printArray("inspect_ns", took, true);
    std::printf("}\n");
    return 0;
}

int reactMain(int argc, char **argv)
{
    const char *sock = arg(argc, argv, "--sock");
    const std::string prefix = arg(argc, argv, "--prefix");
    Conn events = openEvents(sock);
    Conn docker = Conn::unix(sock);
    Conn etcd = Conn::tcp(std::atoi(arg(argc, argv, "--etcd")));
    std::printf("READY\n");
    std::fflush(stdout);
    std::string line;
    int64_t t = 0;
    while (events.nextLine(line, t)) {
        const DockerEvent e = parseEvent(line);
        const std::string key = base64(prefix + e.name);
        if (e.action == "start") {
            docker.send(request("GET", "/v1.41/containers/" + e.id + "/json", ""));
            if (docker.readResponse().status != 200)
                die("inspect of " + e.id + " failed");
            etcd.send(request("POST", "/v3/kv/put",
                              "{\"key\":\"" + key + "\",\"value\":\"" + base64("x") + "\"}"));
        } else if (e.action == "die") {
            etcd.send(request("POST", "/v3/kv/deleterange", "{\"key\":\"" + key + "\"}"));
        } else {
            continue;
        }
        if (etcd.readResponse().status != 200)
            die("etcd refused a write");
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: floor watch|watch2|events|etcd|inspect|react ...\n");
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "watch")
        return watchMain(argc, argv);
    if (mode == "watch2")
        return watch2Main(argc, argv);
    if (mode == "events")
        return eventsMain(argc, argv);
    if (mode == "etcd")
        return etcdMain(argc, argv);
    if (mode == "inspect")
        return inspectMain(argc, argv);
    if (mode == "react")
        return reactMain(argc, argv);
    std::fprintf(stderr, "floor: unknown mode %s\n", mode.c_str());
    return 2;
}
