// Feeds arbitrary bytes to WebSocketFrames::Reader whole and in fuzzer-chosen pieces, and
// checks that splitting never changes what is delivered or why it fails, that the reader holds
// no more than one header, one message and one control payload, and that what it delivers
// obeys RFC 6455. Also round-trips the server-side writers through a reader.
#include "http/WebSocketFrames.h"

#include <cstdio>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>

using namespace WebSocketFrames;

namespace {

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

bool sameMessages(const QList<Message> &a, const QList<Message> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (a[i].opcode != b[i].opcode || a[i].payload != b[i].payload ||
            a[i].closeCode != b[i].closeCode || a[i].closeReason != b[i].closeReason)
            return false;
    return true;
}

bool isUtf8(const QByteArray &bytes)
{
    return QString::fromUtf8(bytes).toUtf8() == bytes; // invalid input would gain U+FFFD
}

void checkReader(const Reader &r, qsizetype maxMessage)
{
    check(r.bufferedBytes() <= 14 + maxMessage + 125, "holds one header, message, control");
    check(r.hasError() == (r.errorCode() != 0), "error iff code");
    check(r.hasError() == !r.errorString().isEmpty(), "error iff message");
    const quint16 c = r.errorCode();
    check(c == 0 || c == 1002 || c == 1007 || c == 1009, "error code is 1002/1007/1009");
    check(r.errorString().toUtf8().size() <= 123, "error fits a close reason");
    check(!(r.hasError() && r.closed()), "not both failed and closed");
    if (r.hasError())
        check(r.bufferedBytes() == 0, "nothing held after a failure");
}

void checkMessages(const QList<Message> &messages, qsizetype maxMessage)
{
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const Message &m = messages[i];
        switch (m.opcode) {
        case Opcode::Text:
            check(isUtf8(m.payload), "text is UTF-8");
            Q_FALLTHROUGH();
        case Opcode::Binary:
            check(m.payload.size() <= maxMessage, "message within limit");
            break;
        case Opcode::Close:
            check(i == messages.size() - 1, "close is the last message");
            check(m.closeCode == CloseNoStatus || (m.closeCode >= 1000 && m.closeCode < 5000),
                  "close code");
            check(m.closeCode != CloseNoStatus || m.payload.isEmpty(), "1005 only when empty");
            Q_FALLTHROUGH();
        case Opcode::Ping:
        case Opcode::Pong:
            check(m.payload.size() <= 125, "control payload within 125");
            break;
        default:
            check(false, "delivered opcode");
        }
    }
}

// What a client would send for a server frame: the mask bit set and a mask key inserted.
QByteArray asClientFrame(const QByteArray &serverFrame, const unsigned char mask[4])
{
    const quint8 len7 = quint8(serverFrame[1]) & 0x7f;
    const qsizetype headerSize = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
    QByteArray out = serverFrame.left(headerSize);
    out[1] = char(quint8(out[1]) | 0x80);
    out.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype i = headerSize; i < serverFrame.size(); ++i)
        out += char(quint8(serverFrame[i]) ^ mask[(i - headerSize) % 4]);
    return out;
}

void roundTrip(const std::string &input, const unsigned char mask[4])
{
    const QByteArray bytes(input.data(), qsizetype(input.size()));
    const QByteArray key = bytes.left(24);
    if (isValidClientKey(key)) {
        check(QByteArray::fromBase64(key).size() == 16, "valid key is 16 bytes");
        check(QByteArray::fromBase64(key).toBase64() == key, "valid key is canonical");
    }
    check(acceptKey(key).size() == 28, "accept key is 28 characters");

    Reader r(bytes.size());
    QList<Message> out;
    check(r.feed(asClientFrame(frame(Opcode::Binary, bytes), mask), &out), "binary round trip");
    check(out.size() == 1 && out[0].payload == bytes, "binary payload round trip");

    const QString reason = QString::fromUtf8(bytes);
    const QByteArray close = closeFrame(1000, reason);
    check(close.size() <= 127, "close frame fits a control frame");
    Reader cr;
    out.clear();
    check(cr.feed(asClientFrame(close, mask), &out), "close round trip");
    check(out.size() == 1 && out[0].closeCode == 1000, "close code round trip");
    check(reason.startsWith(out[0].closeReason), "close reason is a prefix");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Integral choices come from the end of the input, the frames from the front, so seed
    // files that are plain frames stay meaningful.
    FuzzedDataProvider fdp(data, size);
    const qsizetype maxMessage =
        fdp.ConsumeBool() ? 1024 : fdp.ConsumeIntegralInRange<qsizetype>(0, 300);
    const size_t pieces = fdp.ConsumeIntegralInRange<size_t>(1, 16);
    std::vector<size_t> cuts;
    for (size_t i = 0; i < pieces; ++i)
        cuts.push_back(fdp.ConsumeIntegralInRange<size_t>(0, 64));
    unsigned char mask[4];
    for (unsigned char &m : mask)
        m = fdp.ConsumeIntegral<unsigned char>();
    const std::string input = fdp.ConsumeRemainingBytesAsString();
    const QByteArrayView all(input.data(), qsizetype(input.size()));

    Reader whole(maxMessage);
    QList<Message> wholeOut;
    check(whole.feed(all, &wholeOut) == !whole.hasError(), "feed result matches state");
    checkReader(whole, maxMessage);
    checkMessages(wholeOut, maxMessage);

    Reader split(maxMessage);
    QList<Message> splitOut;
    size_t pos = 0, cut = 0;
    while (pos < input.size()) {
        const size_t n = qMin(input.size() - pos, cuts[cut++ % pieces] + 1);
        const bool wasError = split.hasError();
        const bool wasClosed = split.closed();
        const qsizetype before = splitOut.size();
        const bool ok = split.feed(all.sliced(qsizetype(pos), qsizetype(n)), &splitOut);
        check(ok == !split.hasError(), "feed result matches state (split)");
        check(!wasError || split.hasError(), "failure is sticky");
        check(!(wasError || wasClosed) || splitOut.size() == before, "nothing after the end");
        checkReader(split, maxMessage);
        pos += n;
    }
    check(sameMessages(splitOut, wholeOut), "split and whole deliver the same messages");
    check(split.errorCode() == whole.errorCode(), "same close code");
    check(split.errorString() == whole.errorString(), "same error");
    check(split.closed() == whole.closed(), "same closed state");
    check(split.bufferedBytes() == whole.bufferedBytes(), "same bytes held");

    roundTrip(input, mask);
    return 0;
}
