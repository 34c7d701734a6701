#include "http/WebSocketFrames.h"

#include <QCryptographicHash>
#include <QStringDecoder>

namespace WebSocketFrames {

namespace {

bool isControl(Opcode op)
{
    return (quint8(op) & 0x8) != 0;
}

bool isKnownOpcode(quint8 op)
{
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Codes a peer may put in a close frame (RFC 6455 7.4 and the IANA registry): 1004, 1005,
// 1006 and 1015 are reserved or only for local use.
bool isSendableCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

// Qt's UTF-8 decoder refuses overlong forms, surrogates and code points above U+10FFFF; the
// stateless flag makes a sequence cut at the end an error instead of pending state.
bool isUtf8(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringConverter::Flag::Stateless);
    const QString decoded = decoder.decode(bytes);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

} // namespace

QByteArray acceptKey(QByteArrayView clientKey)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(clientKey);
    sha1.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return sha1.result().toBase64();
}

bool isValidClientKey(QByteArrayView clientKey)
{
    // 16 bytes are 22 base64 digits and "==". The last digit carries 2 bits of data, so its
    // low 4 bits must be zero: only one spelling of each key is accepted.
    if (clientKey.size() != 24 || !clientKey.endsWith("=="))
        return false;
    for (qsizetype i = 0; i < 22; ++i)
        if (base64Value(clientKey[i]) < 0)
            return false;
    return (base64Value(clientKey[21]) & 0xf) == 0;
}

QByteArray frameHeader(Opcode opcode, quint64 length)
{
    QByteArray out;
    out.reserve(10);
    out.append(char(0x80 | quint8(opcode)));
    if (length < 126) {
        out.append(char(length));
    } else if (length <= 0xffff) {
        out.append(char(126));
        out.append(char(length >> 8));
        out.append(char(length & 0xff));
    } else {
        out.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.append(char((length >> shift) & 0xff));
    }
    return out;
}

QByteArray frame(Opcode opcode, QByteArrayView payload)
{
    if (isControl(opcode) && payload.size() > 125)
        payload = payload.first(125);
    QByteArray out = frameHeader(opcode, quint64(payload.size()));
    out.append(payload);
    return out;
}

QByteArray closeFrame(quint16 code, const QString &reason)
{
    QByteArray utf8 = reason.toUtf8();
    if (utf8.size() > 123) {
        qsizetype n = 123;
        while (n > 0 && (quint8(utf8[n]) & 0xc0) == 0x80) // n is inside a character
            --n;
        utf8.truncate(n);
    }
    QByteArray payload;
    payload.append(char(code >> 8));
    payload.append(char(code & 0xff));
    payload.append(utf8);
    return frame(Opcode::Close, payload);
}

bool Reader::fail(quint16 code, const QString &reason)
{
    m_errorCode = code;
    m_error = reason;
    m_header.clear();
    m_frame.clear();
    m_message.clear();
    return false;
}

bool Reader::feed(QByteArrayView data, QList<Message> *out)
{
    qsizetype pos = 0;
    while (pos < data.size() && !hasError() && !m_closed) {
        if (m_headerNeed > 0) {
            const qsizetype take = qMin(m_headerNeed - m_header.size(), data.size() - pos);
            m_header.append(data.sliced(pos, take));
            pos += take;
            if (m_header.size() == 2 && m_headerNeed == 2) {
                // The first two bytes tell how long the header is and most of what can be
                // wrong with the frame, so a bad frame is refused before its length arrives.
                const quint8 b0 = quint8(m_header[0]);
                const quint8 b1 = quint8(m_header[1]);
                m_fin = (b0 & 0x80) != 0;
                if (b0 & 0x70)
                    return fail(CloseProtocolError, QStringLiteral("RSV bits set, but no "
                                                                   "extension was negotiated"));
                if (!isKnownOpcode(b0 & 0x0f))
                    return fail(CloseProtocolError,
                                QStringLiteral("unknown opcode 0x%1").arg(b0 & 0x0f, 0, 16));
                m_opcode = Opcode(b0 & 0x0f);
                if (!(b1 & 0x80))
                    return fail(CloseProtocolError, QStringLiteral("a client frame is not masked"));
                const quint8 len7 = b1 & 0x7f;
                if (isControl(m_opcode) && !m_fin)
                    return fail(CloseProtocolError, QStringLiteral("a fragmented control frame"));
                if (isControl(m_opcode) && len7 > 125)
                    return fail(CloseProtocolError,
                                QStringLiteral("a control frame longer than 125 bytes"));
                if (m_opcode == Opcode::Continuation && !m_inMessage)
                    return fail(CloseProtocolError,
                                QStringLiteral("a continuation frame with no message to continue"));
                if (!isControl(m_opcode) && m_opcode != Opcode::Continuation && m_inMessage)
                    return fail(CloseProtocolError,
                                QStringLiteral("a new message inside a fragmented one"));
                m_headerNeed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
            }
            if (m_header.size() == m_headerNeed && !headerDone(out))
                return false;
            continue;
        }
        const qsizetype take =
            qsizetype(qMin<quint64>(m_payloadLength - quint64(m_frame.size()), data.size() - pos));
        const qsizetype offset = m_frame.size();
        m_frame.resize(offset + take);
        char *dst = m_frame.data() + offset;
        for (qsizetype i = 0; i < take; ++i)
            dst[i] = char(quint8(data[pos + i]) ^ m_mask[(offset + i) % 4]);
        pos += take;
        if (quint64(m_frame.size()) == m_payloadLength && !frameDone(out))
            return false;
    }
    return !hasError();
}

bool Reader::headerDone(QList<Message> *out)
{
    const auto byte = [this](int i) { return quint64(quint8(m_header[i])); };
    const quint8 len7 = quint8(byte(1) & 0x7f);
    int maskAt = 2;
    if (len7 == 126) {
        m_payloadLength = byte(2) << 8 | byte(3);
        maskAt = 4;
        if (m_payloadLength < 126)
            return fail(CloseProtocolError, QStringLiteral("a frame length not in its shortest "
                                                           "form"));
    } else if (len7 == 127) {
        m_payloadLength = 0;
        for (int i = 2; i < 10; ++i)
            m_payloadLength = m_payloadLength << 8 | byte(i);
        maskAt = 10;
        if (m_payloadLength >> 63)
            return fail(CloseProtocolError, QStringLiteral("a frame length with the top bit set"));
        if (m_payloadLength <= 0xffff)
            return fail(CloseProtocolError, QStringLiteral("a frame length not in its shortest "
                                                           "form"));
    } else {
        m_payloadLength = len7;
    }
    for (int i = 0; i < 4; ++i)
        m_mask[i] = quint8(byte(maskAt + i));
    // Refused from the header alone, so a peer cannot make us hold a message we would refuse.
    if (!isControl(m_opcode) &&
        m_payloadLength > quint64(m_maxMessageBytes - qMin(m_message.size(), m_maxMessageBytes)))
        return fail(CloseTooBig,
                    QStringLiteral("a message larger than %1 bytes").arg(m_maxMessageBytes));
    if (m_opcode == Opcode::Text || m_opcode == Opcode::Binary)
        m_messageOpcode = m_opcode;
    m_header.clear();
    m_headerNeed = 0;
    m_frame.clear();
    return m_payloadLength > 0 || frameDone(out);
}

bool Reader::frameDone(QList<Message> *out)
{
    m_headerNeed = 2;
    QByteArray payload = std::move(m_frame);
    m_frame = QByteArray();
    if (!isControl(m_opcode)) {
        m_message.append(payload);
        m_inMessage = !m_fin;
        if (!m_fin)
            return true;
        if (m_messageOpcode == Opcode::Text && !isUtf8(m_message))
            return fail(CloseInvalidPayload, QStringLiteral("a text message that is not UTF-8"));
        Message m;
        m.opcode = m_messageOpcode;
        m.payload = std::move(m_message);
        m_message = QByteArray();
        out->append(std::move(m));
        return true;
    }
    Message m;
    m.opcode = m_opcode;
    if (m_opcode == Opcode::Close) {
        if (payload.size() == 1)
            return fail(CloseProtocolError, QStringLiteral("a close frame with a 1-byte payload"));
        if (payload.size() >= 2) {
            m.closeCode = quint16(quint8(payload[0]) << 8 | quint8(payload[1]));
            if (!isSendableCloseCode(m.closeCode))
                return fail(CloseProtocolError,
                            QStringLiteral("close code %1 may not be sent").arg(m.closeCode));
            const QByteArrayView reason = QByteArrayView(payload).sliced(2);
            if (!isUtf8(reason))
                return fail(CloseInvalidPayload,
                            QStringLiteral("a close reason that is not UTF-8"));
            m.closeReason = QString::fromUtf8(reason);
        }
        m_closed = true;
        m_message.clear(); // an unfinished message ends with the connection
    }
    m.payload = std::move(payload);
    out->append(std::move(m));
    return true;
}

} // namespace WebSocketFrames
