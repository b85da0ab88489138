package httphandler

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/validation"
)

// The refund claim page: the payer of a refund that waits for an address (or of a
// rebound) opens the link the merchant sent, enters an address, checked for the
// refund's network, and optionally an email; the payout then goes out. It has the
// checkout page's look, stylesheet and languages, and no script.

var refundTmpl = template.Must(template.ParseFS(pageFS, "page/refund.html"))

// refundTexts are the claim page's words in one language; the formats take the
// currency (%[1]s) and the network's name (%[2]s), or the fee with its currency.
type refundTexts struct {
	Title, Amount, Where, Email, Submit, Until, Processing, ProcessingText, Sent, SentText, To,
	Expired, Failed, Closed, Contact, ErrOwn, ErrEmail, ErrLater string
	OnlyNetwork, AddressLabel, FeeNote, ErrAddress string
}

var refundLanguages = map[string]refundTexts{
	"en": {Title: "Refund", Amount: "Amount", Where: "Where should we send it?", Email: "Email (optional)", Submit: "Send my refund",
		Until: "This link works until", Processing: "Your refund is on its way",
		ProcessingText: "It has been sent. Reload this page to see when the network has confirmed it.",
		Sent:           "Refund sent", SentText: "The network has confirmed it.", To: "To:",
		Expired: "This refund link has expired", Failed: "The refund could not be sent", Closed: "This refund link is no longer valid",
		Contact: "Contact the shop about your refund.", ErrOwn: "This address belongs to the shop: give one of your own.",
		ErrEmail: "This is not an email address.", ErrLater: "The refund cannot be sent right now. Try again later or contact the shop.",
		OnlyNetwork: "Give a %[1]s address on %[2]s only.", AddressLabel: "Your %[1]s address on %[2]s",
		FeeNote: "The network fee (about %s) is taken from the amount.", ErrAddress: "This is not a valid %[1]s address on %[2]s."},
	"de": {Title: "Erstattung", Amount: "Betrag", Where: "Wohin sollen wir sie senden?", Email: "E-Mail (optional)", Submit: "Erstattung senden",
		Until: "Dieser Link gilt bis", Processing: "Ihre Erstattung ist unterwegs",
		ProcessingText: "Sie wurde gesendet. Laden Sie diese Seite neu, um zu sehen, wann das Netzwerk sie bestätigt hat.",
		Sent:           "Erstattung gesendet", SentText: "Das Netzwerk hat sie bestätigt.", To: "An:",
		Expired: "Dieser Erstattungslink ist abgelaufen", Failed: "Die Erstattung konnte nicht gesendet werden", Closed: "Dieser Erstattungslink ist nicht mehr gültig",
		Contact: "Wenden Sie sich wegen Ihrer Erstattung an den Shop.", ErrOwn: "Diese Adresse gehört dem Shop: Geben Sie eine eigene an.",
		ErrEmail: "Das ist keine E-Mail-Adresse.", ErrLater: "Die Erstattung kann gerade nicht gesendet werden. Versuchen Sie es später erneut oder wenden Sie sich an den Shop.",
		OnlyNetwork: "Geben Sie nur eine %[1]s-Adresse im Netzwerk %[2]s an.", AddressLabel: "Ihre %[1]s-Adresse im Netzwerk %[2]s",
		FeeNote: "Die Netzwerkgebühr (etwa %s) wird vom Betrag abgezogen.", ErrAddress: "Das ist keine gültige %[1]s-Adresse im Netzwerk %[2]s."},
	"es": {Title: "Reembolso", Amount: "Importe", Where: "¿Adónde lo enviamos?", Email: "Correo electrónico (opcional)", Submit: "Enviar mi reembolso",
		Until: "Este enlace es válido hasta", Processing: "Su reembolso está en camino",
		ProcessingText: "Se ha enviado. Recargue esta página para ver cuándo lo ha confirmado la red.",
		Sent:           "Reembolso enviado", SentText: "La red lo ha confirmado.", To: "A:",
		Expired: "Este enlace de reembolso ha caducado", Failed: "No se pudo enviar el reembolso", Closed: "Este enlace de reembolso ya no es válido",
		Contact: "Contacte con la tienda por su reembolso.", ErrOwn: "Esta dirección pertenece a la tienda: indique una propia.",
		ErrEmail: "Esto no es una dirección de correo.", ErrLater: "El reembolso no se puede enviar ahora. Inténtelo más tarde o contacte con la tienda.",
		OnlyNetwork: "Indique solo una dirección de %[1]s en %[2]s.", AddressLabel: "Su dirección de %[1]s en %[2]s",
		FeeNote: "La comisión de la red (unos %s) se descuenta del importe.", ErrAddress: "Esta no es una dirección de %[1]s válida en %[2]s."},
	"fr": {Title: "Remboursement", Amount: "Montant", Where: "Où devons-nous l'envoyer ?", Email: "E-mail (facultatif)", Submit: "Envoyer mon remboursement",
		Until: "Ce lien est valable jusqu'au", Processing: "Votre remboursement est en route",
		ProcessingText: "Il a été envoyé. Rechargez cette page pour voir quand le réseau l'a confirmé.",
		Sent:           "Remboursement envoyé", SentText: "Le réseau l'a confirmé.", To: "À :",
		Expired: "Ce lien de remboursement a expiré", Failed: "Le remboursement n'a pas pu être envoyé", Closed: "Ce lien de remboursement n'est plus valable",
		Contact: "Contactez la boutique au sujet de votre remboursement.", ErrOwn: "Cette adresse appartient à la boutique : indiquez la vôtre.",
		ErrEmail: "Ce n'est pas une adresse e-mail.", ErrLater: "Le remboursement ne peut pas être envoyé pour l'instant. Réessayez plus tard ou contactez la boutique.",
		OnlyNetwork: "Indiquez uniquement une adresse %[1]s sur %[2]s.", AddressLabel: "Votre adresse %[1]s sur %[2]s",
		FeeNote: "Les frais de réseau (environ %s) sont déduits du montant.", ErrAddress: "Ce n'est pas une adresse %[1]s valide sur %[2]s."},
	"pt": {Title: "Reembolso", Amount: "Valor", Where: "Para onde o devemos enviar?", Email: "E-mail (opcional)", Submit: "Enviar o meu reembolso",
		Until: "Esta ligação é válida até", Processing: "O seu reembolso está a caminho",
		ProcessingText: "Foi enviado. Recarregue esta página para ver quando a rede o confirmou.",
		Sent:           "Reembolso enviado", SentText: "A rede confirmou-o.", To: "Para:",
		Expired: "Esta ligação de reembolso expirou", Failed: "Não foi possível enviar o reembolso", Closed: "Esta ligação de reembolso já não é válida",
		Contact: "Contacte a loja sobre o seu reembolso.", ErrOwn: "Este endereço pertence à loja: indique um seu.",
		ErrEmail: "Isto não é um endereço de e-mail.", ErrLater: "Não é possível enviar o reembolso agora. Tente mais tarde ou contacte a loja.",
		OnlyNetwork: "Indique apenas um endereço %[1]s na rede %[2]s.", AddressLabel: "O seu endereço %[1]s na rede %[2]s",
		FeeNote: "A taxa da rede (cerca de %s) é descontada do valor.", ErrAddress: "Este não é um endereço %[1]s válido na rede %[2]s."},
	"ru": {Title: "Возврат", Amount: "Сумма", Where: "Куда его отправить?", Email: "Эл. почта (необязательно)", Submit: "Получить возврат",
		Until: "Ссылка действует до", Processing: "Возврат отправляется",
		ProcessingText: "Он отправлен. Обновите страницу, чтобы увидеть, когда сеть его подтвердит.",
		Sent:           "Возврат отправлен", SentText: "Сеть его подтвердила.", To: "Кому:",
		Expired: "Срок действия ссылки на возврат истёк", Failed: "Возврат не удалось отправить", Closed: "Эта ссылка на возврат больше не действует",
		Contact: "Свяжитесь с магазином по поводу возврата.", ErrOwn: "Этот адрес принадлежит магазину: укажите свой.",
		ErrEmail: "Это не адрес электронной почты.", ErrLater: "Сейчас возврат отправить нельзя. Попробуйте позже или свяжитесь с магазином.",
		OnlyNetwork: "Укажите только адрес %[1]s в сети %[2]s.", AddressLabel: "Ваш адрес %[1]s в сети %[2]s",
		FeeNote: "Комиссия сети (около %s) вычитается из суммы.", ErrAddress: "Это не действительный адрес %[1]s в сети %[2]s."},
	"zh": {Title: "退款", Amount: "金额", Where: "我们应将退款发送到哪里？", Email: "电子邮件（可选）", Submit: "发送我的退款",
		Until: "此链接有效期至", Processing: "您的退款正在发送",
		ProcessingText: "退款已发送。重新加载此页面可查看网络何时确认。",
		Sent:           "退款已发送", SentText: "网络已确认。", To: "收款地址：",
		Expired: "此退款链接已过期", Failed: "退款未能发送", Closed: "此退款链接已失效",
		Contact: "请就您的退款联系商店。", ErrOwn: "此地址属于商店：请填写您自己的地址。",
		ErrEmail: "这不是电子邮件地址。", ErrLater: "目前无法发送退款。请稍后重试或联系商店。",
		OnlyNetwork: "只能填写 %[2]s 网络上的 %[1]s 地址。", AddressLabel: "您在 %[2]s 网络上的 %[1]s 地址",
		FeeNote: "网络手续费（约 %s）从金额中扣除。", ErrAddress: "这不是 %[2]s 网络上有效的 %[1]s 地址。"},
	"ja": {Title: "返金", Amount: "金額", Where: "送金先を入力してください", Email: "メールアドレス（任意）", Submit: "返金を受け取る",
		Until: "このリンクの有効期限", Processing: "返金を送金中です",
		ProcessingText: "送金しました。ネットワークの承認を確認するには、このページを再読み込みしてください。",
		Sent:           "返金を送金しました", SentText: "ネットワークで承認されました。", To: "送金先：",
		Expired: "この返金リンクは期限切れです", Failed: "返金を送金できませんでした", Closed: "この返金リンクは無効です",
		Contact: "返金についてはショップにお問い合わせください。", ErrOwn: "このアドレスはショップのものです。ご自身のアドレスを入力してください。",
		ErrEmail: "メールアドレスではありません。", ErrLater: "現在返金を送金できません。後でもう一度お試しいただくか、ショップにお問い合わせください。",
		OnlyNetwork: "%[2]s の %[1]s アドレスのみを入力してください。", AddressLabel: "%[2]s のあなたの %[1]s アドレス",
		FeeNote: "ネットワーク手数料（約 %s）は金額から差し引かれます。", ErrAddress: "%[2]s の有効な %[1]s アドレスではありません。"},
	"tr": {Title: "İade", Amount: "Tutar", Where: "Nereye gönderelim?", Email: "E-posta (isteğe bağlı)", Submit: "İademi gönder",
		Until: "Bu bağlantı şu tarihe kadar geçerli:", Processing: "İadeniz yolda",
		ProcessingText: "Gönderildi. Ağın ne zaman onayladığını görmek için bu sayfayı yenileyin.",
		Sent:           "İade gönderildi", SentText: "Ağ onayladı.", To: "Alıcı:",
		Expired: "Bu iade bağlantısının süresi doldu", Failed: "İade gönderilemedi", Closed: "Bu iade bağlantısı artık geçerli değil",
		Contact: "İadeniz için mağazayla iletişime geçin.", ErrOwn: "Bu adres mağazaya ait: kendi adresinizi girin.",
		ErrEmail: "Bu bir e-posta adresi değil.", ErrLater: "İade şu anda gönderilemiyor. Daha sonra tekrar deneyin veya mağazayla iletişime geçin.",
		OnlyNetwork: "Yalnızca %[2]s ağında bir %[1]s adresi girin.", AddressLabel: "%[2]s ağındaki %[1]s adresiniz",
		FeeNote: "Ağ ücreti (yaklaşık %s) tutardan düşülür.", ErrAddress: "Bu, %[2]s ağında geçerli bir %[1]s adresi değil."},
}

type refundView struct {
	T                          refundTexts
	C                          texts // the checkout page's shared words
	State                      string
	Token, Static, Logo, Store string
	Test                       bool
	Crypto, Currency, Price    string
	OnlyNetwork, AddressLabel  string
	FeeNote                    string
	Address, Email             string
	Error                      string
	AddressError, EmailError   bool
	Expires, ExpiresISO        string
	To, Tx, TxURL              string
}

// refundByToken finds the refund of the page's token (refund.ErrNotFound otherwise).
func (h *Handler) refundByToken(r *http.Request) (*refund.Refund, error) {
	return h.gw.Refunds().ByToken(r.Context(), r.PathValue("token"))
}

func (h *Handler) refundPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderRefund(w, r, http.StatusOK, nil, "", "", nil)
}

// claimRefund takes the claim form: the payout goes out and the payer is sent back to
// the page (303); a bad address or email shows the form again with the reason (422).
func (h *Handler) claimRefund(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return errf(http.StatusBadRequest, "bad_request", "The form could not be read.")
	}
	addr, email := r.PostForm.Get("address"), r.PostForm.Get("email")
	rf, err := h.gw.Refunds().Claim(r.Context(), r.PathValue("token"), addr, email)
	var be *payout.BroadcastError
	switch {
	case err == nil, errors.As(err, &be):
		// Sent, or refused by the node (the page then says it failed).
		w.Header().Set("Location", r.PathValue("token"))
		w.WriteHeader(http.StatusSeeOther)
		return nil
	case errors.Is(err, refund.ErrNotFound), errors.Is(err, refund.ErrInvalidState), errors.Is(err, refund.ErrClaimExpired):
		return h.renderRefund(w, r, http.StatusOK, rf, "", "", nil)
	}
	var ve *validation.Error
	var fe *validation.FieldError
	if !errors.As(err, &ve) && !errors.As(err, &fe) {
		return err // ours (the database, say): 500, logged; the payer may try again
	}
	return h.renderRefund(w, r, http.StatusUnprocessableEntity, rf, addr, email, err)
}

// renderRefund renders the claim page of rf (found by the token when nil), with the
// form's values and the reason it was refused, if it was.
func (h *Handler) renderRefund(w http.ResponseWriter, r *http.Request, status int, rf *refund.Refund, addr, email string, claimErr error) error {
	lang := language(r.Header.Get("Accept-Language"))
	t := refundLanguages[lang.Lang]
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Language", lang.Lang)
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	if rf == nil {
		var err error
		if rf, err = h.refundByToken(r); errors.Is(err, refund.ErrNotFound) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			return notFoundTmpl.Execute(w, lang)
		} else if err != nil {
			return err
		}
	}
	a, _ := h.gw.Assets().Get(rf.Asset)
	n, _ := h.gw.Assets().Network(rf.RefundNetwork)
	v := refundView{T: t, C: lang, Token: r.PathValue("token"), Static: "../static", Store: h.opts.StoreName, Test: !rf.Livemode,
		Crypto: rf.RefundAmount.String(), Currency: a.Currency, Address: addr, Email: email,
		OnlyNetwork: fmt.Sprintf(t.OnlyNetwork, a.Currency, n.Name), AddressLabel: fmt.Sprintf(t.AddressLabel, a.Currency, n.Name)}
	if rf.Currency != a.Currency && rf.Currency != a.Code {
		v.Price = price(rf.Amount, rf.Currency)
	}
	if h.logoType != "" {
		v.Logo = "../static/logo"
	}
	if rf.SubMerchantID != "" { // the sub-merchant's name and logo, not the operator's
		var err error
		if v.Store, v.Logo, err = h.subBrand(w, r, rf.Mode, rf.SubMerchantID); err != nil {
			return err
		}
	}
	if rf.FeePayer == refund.FeeCustomer {
		if e, err := h.gw.Payouts().EstimateFee(r.Context(), rf.Mode, a.Currency, string(a.Network), rf.RefundAmount); err == nil {
			v.FeeNote = fmt.Sprintf(t.FeeNote, e.NetworkFee.String()+" "+e.FeeCurrency)
		}
	}
	if rf.ClaimExpiresAt != nil {
		v.ExpiresISO = rf.ClaimExpiresAt.UTC().Format(time.RFC3339)
		v.Expires = rf.ClaimExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if rf.Destination != nil {
		v.To = *rf.Destination
	}
	if rf.TxHash != nil {
		v.Tx = *rf.TxHash
		v.TxURL = h.txLink(rf.RefundNetwork, rf.Mode, *rf.TxHash)
	}
	switch rf.Status {
	case refund.StatusAwaitingAddress:
		v.State = "form"
		if rf.ClaimExpiresAt != nil && !h.gw.Now().Before(*rf.ClaimExpiresAt) {
			v.State = "expired"
		}
	case refund.StatusPendingVerification, refund.StatusProcessing:
		v.State = "processing"
	case refund.StatusSucceeded:
		v.State = "succeeded"
	case refund.StatusFailed:
		v.State = "failed"
	default:
		v.State = "closed"
	}
	if claimErr != nil && v.State == "form" {
		v.Error, v.AddressError, v.EmailError = claimMessage(t, a.Currency, n.Name, claimErr)
	}
	var buf bytes.Buffer
	if err := refundTmpl.Execute(&buf, v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// claimMessage says in the payer's language why a claim was refused, and which field
// was wrong.
func claimMessage(t refundTexts, currency, network string, err error) (msg string, address, email bool) {
	var ve *validation.Error
	if errors.As(err, &ve) {
		switch {
		case ve.Fields["address"] != nil && errors.Is(err, payout.ErrOwnAddress):
			return t.ErrOwn, true, false
		case ve.Fields["address"] != nil:
			return fmt.Sprintf(t.ErrAddress, currency, network), true, false
		case ve.Fields["email"] != nil:
			return t.ErrEmail, false, true
		}
	}
	return t.ErrLater, false, false
}
