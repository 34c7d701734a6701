#pragma once

// Shared by the HttpRequestParser tests (tst_httprequestparser_syntax, _limits, _headers).
// Header-only.

#include "http/HttpRequestParser.h"

// Feeds `raw` in pieces of `step` bytes (0: all at once) until the parser stops taking bytes,
// and returns how many it took.
inline qsizetype feedAll(HttpRequestParser &p, QByteArrayView raw, int step)
{
    if (step <= 0)
        return p.feed(raw);
    qsizetype taken = 0;
    for (qsizetype i = 0; i < raw.size(); i += step) {
        const qsizetype n = qMin<qsizetype>(step, raw.size() - i);
        const qsizetype got = p.feed(raw.sliced(i, n));
        taken += got;
        if (got < n || p.isComplete() || p.hasError())
            break;
    }
    return taken;
}
