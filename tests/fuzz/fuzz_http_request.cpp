// Feeds arbitrary bytes to HttpRequestParser as a stream of pipelined requests, once whole and
// once in fuzzer-chosen pieces, and checks that splitting never changes any outcome, that the
// parser never takes more than it is given nor anything past a head, and that what it holds
// while waiting for a line end stays within the limits.
#include "http/HttpRequestParser.h"

#include <cstdio>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>

namespace {

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

struct Outcome {
    HttpRequestParser::State state;
    int status;
    QString error;
    QByteArray method, target, path, query;
    int minor;
    QList<HttpRequestParser::Header> headers;
    qint64 contentLength;
    bool keepAlive, upgrade;
    qsizetype consumed; // compared only for complete heads

    bool operator==(const Outcome &o) const
    {
        return state == o.state && status == o.status && error == o.error && method == o.method &&
               target == o.target && path == o.path && query == o.query && minor == o.minor &&
               headers == o.headers && contentLength == o.contentLength &&
               keepAlive == o.keepAlive && upgrade == o.upgrade &&
               (state != HttpRequestParser::State::Complete || consumed == o.consumed);
    }
};

HttpRequestLimits pickLimits(FuzzedDataProvider &fdp)
{
    HttpRequestLimits l;
    if (fdp.ConsumeBool()) { // small limits, so the fuzzer reaches every bound quickly
        l.maxRequestLineBytes = fdp.ConsumeIntegralInRange<int>(0, 64);
        l.maxHeaderLineBytes = fdp.ConsumeIntegralInRange<int>(0, 64);
        l.maxHeaderBytes = fdp.ConsumeIntegralInRange<int>(0, 256);
        l.maxHeaderCount = fdp.ConsumeIntegralInRange<int>(0, 8);
    }
    return l;
}

bool isTerminal(const HttpRequestParser &p)
{
    return p.isComplete() || p.hasError();
}

void checkState(const HttpRequestParser &p, QByteArrayView consumed)
{
    const HttpRequestLimits &l = p.limits();
    const int s = p.errorStatus();
    check(p.hasError() == (s != 0), "error iff status");
    check(p.hasError() == !p.errorString().isEmpty(), "error iff message");
    check(s == 0 || s == 400 || s == 414 || s == 431 || s == 505, "status is 400/414/431/505");
    check(p.headers().size() <= l.maxHeaderCount, "header count within limit");
    check(p.hasStarted() == !consumed.isEmpty(), "started iff a byte was taken");
    if (p.hasError())
        return;
    // While waiting, the partial line (what follows the last LF taken) fits its limit, and
    // the head so far fits the head limit.
    const qsizetype lastLf = consumed.lastIndexOf('\n');
    const qsizetype partial = consumed.size() - (lastLf + 1);
    const qsizetype lineMax = p.state() == HttpRequestParser::State::RequestLine
                                  ? l.maxRequestLineBytes
                                  : l.maxHeaderLineBytes;
    check(consumed.size() <= l.maxHeaderBytes, "head within limit");
    if (!p.isComplete()) {
        check(partial <= lineMax + 1, "partial line within limit");
        return;
    }
    check(partial == 0 && consumed.endsWith("\r\n\r\n"), "complete head ends in CRLF CRLF");
    check(consumed.indexOf("\r\n\r\n") == consumed.size() - 4, "nothing taken past the head");
    check(!p.method().isEmpty() && p.target().startsWith('/'), "method and target");
    check(p.httpMinorVersion() == 0 || p.httpMinorVersion() == 1, "version 1.0 or 1.1");
    const int hosts = int(p.headerValues("host").size());
    check(hosts <= 1 && (hosts == 1 || p.httpMinorVersion() == 0), "Host once on 1.1");
    check(p.path() + (p.target().contains('?') ? "?" + p.query() : QByteArray()) == p.target(),
          "path and query make the target");
    check(p.contentLength() >= -1, "content length");
    check(!p.keepAlive() || p.httpMinorVersion() == 1, "1.0 never keeps the connection");
}

Outcome outcomeOf(const HttpRequestParser &p, qsizetype consumed)
{
    return {p.state(),   p.errorStatus(),   p.errorString(), p.method(),
            p.target(),  p.path(),          p.query(),       p.httpMinorVersion(),
            p.headers(), p.contentLength(), p.keepAlive(),   p.isWebSocketUpgrade(),
            consumed};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Integral choices come from the end of the input, the bytes to parse from the front, so
    // seed files that are plain requests stay meaningful.
    FuzzedDataProvider fdp(data, size);
    const HttpRequestLimits limits = pickLimits(fdp);
    const size_t pieces = fdp.ConsumeIntegralInRange<size_t>(1, 16);
    std::vector<size_t> cuts;
    for (size_t i = 0; i < pieces; ++i)
        cuts.push_back(fdp.ConsumeIntegralInRange<size_t>(0, 512));
    const std::string input = fdp.ConsumeRemainingBytesAsString();
    const QByteArrayView all(input.data(), qsizetype(input.size()));

    // Reference: each request of the stream in one feed.
    QList<Outcome> whole;
    {
        HttpRequestParser p(limits);
        qsizetype pos = 0;
        while (pos < all.size()) {
            const qsizetype n = p.feed(all.sliced(pos));
            check(n >= 0 && n <= all.size() - pos, "never takes more than given");
            checkState(p, all.sliced(pos, n));
            check(n == all.size() - pos || isTerminal(p), "takes all unless done");
            if (isTerminal(p))
                check(p.feed(all.sliced(pos + n)) == 0, "takes nothing when done");
            whole.append(outcomeOf(p, n));
            pos += n;
            if (!p.isComplete())
                break;
            p.reset();
        }
    }

    // The same stream in fuzzer-chosen pieces.
    QList<Outcome> split;
    HttpRequestParser p(limits);
    qsizetype pos = 0, headStart = 0;
    size_t cut = 0;
    while (pos < all.size()) {
        const qsizetype n = qMin<qsizetype>(all.size() - pos, qsizetype(cuts[cut++ % pieces]) + 1);
        const QByteArrayView piece = all.sliced(pos, n);
        const qsizetype taken = p.feed(piece);
        check(taken >= 0 && taken <= n, "never takes more than given (split)");
        check(taken == n || isTerminal(p), "takes all unless done (split)");
        pos += taken;
        checkState(p, all.sliced(headStart, pos - headStart));
        if (isTerminal(p))
            check(p.feed(piece.sliced(taken)) == 0, "takes nothing once done (split)");
        if (p.hasError())
            break;
        if (p.isComplete()) {
            split.append(outcomeOf(p, pos - headStart));
            p.reset();
            headStart = pos;
        }
    }
    if (p.hasError() || (pos == all.size() && pos > headStart))
        split.append(outcomeOf(p, pos - headStart));

    check(split.size() == whole.size(), "same number of heads");
    for (qsizetype i = 0; i < split.size(); ++i) {
        if (!(split[i] == whole[i]))
            std::fprintf(stderr, "head %lld: split \"%s\" whole \"%s\"\n", qlonglong(i),
                         qPrintable(split[i].error), qPrintable(whole[i].error));
        check(split[i] == whole[i], "split and whole give the same outcome");
    }
    return 0;
}
