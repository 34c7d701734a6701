// Feeds arbitrary bytes to HttpResponseParser in fuzzer-chosen pieces and checks that splitting
// never changes the outcome, that memory held stays within the limits, and that finish() always
// ends in Complete or Error.
#include "http/HttpResponseParser.h"

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
    HttpResponseParser::State state;
    int status;
    QList<HttpResponseParser::Header> headers;
    QList<HttpResponseParser::Header> trailers;
    QByteArray body;
    QString error;
};

HttpLimits pickLimits(FuzzedDataProvider &fdp)
{
    HttpLimits l;
    if (fdp.ConsumeBool()) { // small limits, so the fuzzer reaches every bound quickly
        l.maxStatusLineBytes = fdp.ConsumeIntegralInRange<int>(12, 64);
        l.maxHeaderLineBytes = fdp.ConsumeIntegralInRange<int>(1, 64);
        l.maxHeaderBytes = fdp.ConsumeIntegralInRange<int>(16, 256);
        l.maxHeaderCount = fdp.ConsumeIntegralInRange<int>(0, 8);
        l.maxChunkSizeLineBytes = fdp.ConsumeIntegralInRange<int>(1, 32);
        l.maxChunkSize = fdp.ConsumeIntegralInRange<int>(0, 300);
        l.maxTrailerBytes = fdp.ConsumeIntegralInRange<int>(0, 64);
        l.maxTrailerCount = fdp.ConsumeIntegralInRange<int>(0, 4);
        l.maxBodyBytes = fdp.ConsumeIntegralInRange<int>(-1, 500);
        l.maxInterimResponses = fdp.ConsumeIntegralInRange<int>(0, 3);
    }
    return l;
}

void checkBounded(const HttpResponseParser &p)
{
    const HttpLimits &l = p.limits();
    qsizetype maxLine =
        qMax(qMax(l.maxStatusLineBytes, l.maxHeaderLineBytes), l.maxChunkSizeLineBytes);
    check(p.pendingLineBytes() <= maxLine + 1, "partial line within the line limits");
    check(p.headers().size() <= l.maxHeaderCount, "header count within limit");
    check(p.trailers().size() <= l.maxTrailerCount, "trailer count within limit");
    if (l.maxBodyBytes >= 0)
        check(p.bodyBytesReceived() <= l.maxBodyBytes, "body within limit");
    check(p.hasError() == !p.errorString().isEmpty(), "error iff message");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Integral choices come from the end of the input, the bytes to parse from the front, so
    // seed files that are plain HTTP responses stay meaningful.
    FuzzedDataProvider fdp(data, size);
    const bool head = fdp.ConsumeBool();
    const bool useCallback = fdp.ConsumeBool();
    const HttpLimits limits = pickLimits(fdp);
    const size_t pieces = fdp.ConsumeIntegralInRange<size_t>(1, 16);
    std::vector<size_t> cuts;
    for (size_t i = 0; i < pieces; ++i)
        cuts.push_back(fdp.ConsumeIntegralInRange<size_t>(0, 512));
    const std::string input = fdp.ConsumeRemainingBytesAsString();
    const QByteArrayView all(input.data(), qsizetype(input.size()));

    // Reference: everything in one feed.
    HttpResponseParser whole(limits);
    whole.setHeadRequest(head);
    whole.feed(all);
    checkBounded(whole);
    whole.finish();
    check(whole.isComplete() || whole.hasError(), "finish ends in Complete or Error");

    // Split feeding, optionally through the body callback.
    HttpResponseParser split(limits);
    split.setHeadRequest(head);
    QByteArray viaCallback;
    if (useCallback)
        split.setBodyCallback([&](QByteArrayView b) { viaCallback.append(b); });
    size_t pos = 0, cut = 0;
    QByteArray taken;
    while (pos < input.size()) {
        const size_t n = qMin(input.size() - pos, cuts[cut++ % cuts.size()] + 1);
        const bool wasError = split.hasError();
        const bool ok = split.feed(all.sliced(qsizetype(pos), qsizetype(n)));
        check(ok == !split.hasError(), "feed result matches state");
        check(!wasError || split.hasError(), "error is sticky");
        checkBounded(split);
        if (!useCallback)
            taken += split.takeBody();
        pos += n;
    }
    split.finish();
    taken += split.takeBody();
    check(split.isComplete() || split.hasError(), "split finish ends in Complete or Error");

    const QByteArray body = useCallback ? viaCallback : taken;
    check(split.state() == whole.state(), "split and whole end in the same state");
    if (split.errorString() != whole.errorString())
        std::fprintf(stderr, "split: %s\nwhole: %s\n", qPrintable(split.errorString()),
                     qPrintable(whole.errorString()));
    check(split.errorString() == whole.errorString(), "same error");
    check(split.statusCode() == whole.statusCode(), "same status");
    check(split.headers() == whole.headers(), "same headers");
    check(split.trailers() == whole.trailers(), "same trailers");
    // Before an error, split feeding may already have delivered part of the body; that is the
    // point of incremental delivery, so bodies are compared only for complete responses.
    if (split.isComplete())
        check(body == whole.takeBody(), "same body");
    check(split.bodyBytesReceived() == body.size(), "body count matches delivered bytes");
    return 0;
}
