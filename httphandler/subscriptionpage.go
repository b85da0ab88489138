package httphandler

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
)

// The hosted subscription page (subscription_url): the customer sees the plan, the
// subscription's status and period, and, when a period waits for its payment, a link
// to that period's invoice on the checkout page. It has the checkout page's look and
// languages, and no script. Its address is the subscription's id, unguessable like an
// invoice's.

var subscriptionTmpl = template.Must(template.ParseFS(pageFS, "page/subscription.html"))

// subscriptionTexts are the page's words in one language. Every gives "every
// <interval>" per interval: the singular, and the plural with the count (%d).
type subscriptionTexts struct {
	Plan, Status, Period, Due, Pay, NextAttempt, PaidUntil, Ends, Ended, Starts, Return string
	Statuses                                                                            map[billing.Status]string
	Every                                                                               map[billing.Interval][2]string
}

var subscriptionLanguages = map[string]subscriptionTexts{
	"en": {Plan: "Plan", Status: "Status", Period: "Current period", Due: "A payment is due", Pay: "Pay this period",
		NextAttempt: "If unpaid, a new invoice is sent on", PaidUntil: "Paid until", Ends: "The subscription ends then.",
		Ended: "This subscription ended on", Starts: "It starts on", Return: "Back to the shop",
		Statuses: map[billing.Status]string{billing.StatusPending: "Waiting for the first payment", billing.StatusActive: "Active",
			billing.StatusPastDue: "Payment overdue", billing.StatusCancelled: "Cancelled", billing.StatusExpired: "Ended"},
		Every: map[billing.Interval][2]string{billing.Day: {"every day", "every %d days"}, billing.Week: {"every week", "every %d weeks"},
			billing.Month: {"every month", "every %d months"}, billing.Year: {"every year", "every %d years"}}},
	"de": {Plan: "Tarif", Status: "Status", Period: "Aktueller Zeitraum", Due: "Eine Zahlung ist fällig", Pay: "Diesen Zeitraum bezahlen",
		NextAttempt: "Falls unbezahlt, kommt eine neue Rechnung am", PaidUntil: "Bezahlt bis", Ends: "Das Abonnement endet dann.",
		Ended: "Dieses Abonnement endete am", Starts: "Es beginnt am", Return: "Zurück zum Shop",
		Statuses: map[billing.Status]string{billing.StatusPending: "Wartet auf die erste Zahlung", billing.StatusActive: "Aktiv",
			billing.StatusPastDue: "Zahlung überfällig", billing.StatusCancelled: "Gekündigt", billing.StatusExpired: "Beendet"},
		Every: map[billing.Interval][2]string{billing.Day: {"täglich", "alle %d Tage"}, billing.Week: {"wöchentlich", "alle %d Wochen"},
			billing.Month: {"monatlich", "alle %d Monate"}, billing.Year: {"jährlich", "alle %d Jahre"}}},
	"es": {Plan: "Plan", Status: "Estado", Period: "Periodo actual", Due: "Hay un pago pendiente", Pay: "Pagar este periodo",
		NextAttempt: "Si no se paga, se enviará una nueva factura el", PaidUntil: "Pagado hasta el", Ends: "La suscripción termina entonces.",
		Ended: "Esta suscripción terminó el", Starts: "Empieza el", Return: "Volver a la tienda",
		Statuses: map[billing.Status]string{billing.StatusPending: "Esperando el primer pago", billing.StatusActive: "Activa",
			billing.StatusPastDue: "Pago vencido", billing.StatusCancelled: "Cancelada", billing.StatusExpired: "Terminada"},
		Every: map[billing.Interval][2]string{billing.Day: {"cada día", "cada %d días"}, billing.Week: {"cada semana", "cada %d semanas"},
			billing.Month: {"cada mes", "cada %d meses"}, billing.Year: {"cada año", "cada %d años"}}},
	"fr": {Plan: "Formule", Status: "Statut", Period: "Période en cours", Due: "Un paiement est attendu", Pay: "Payer cette période",
		NextAttempt: "Faute de paiement, une nouvelle facture sera envoyée le", PaidUntil: "Payé jusqu'au", Ends: "L'abonnement se termine alors.",
		Ended: "Cet abonnement a pris fin le", Starts: "Il commence le", Return: "Retour à la boutique",
		Statuses: map[billing.Status]string{billing.StatusPending: "En attente du premier paiement", billing.StatusActive: "Actif",
			billing.StatusPastDue: "Paiement en retard", billing.StatusCancelled: "Résilié", billing.StatusExpired: "Terminé"},
		Every: map[billing.Interval][2]string{billing.Day: {"chaque jour", "tous les %d jours"}, billing.Week: {"chaque semaine", "toutes les %d semaines"},
			billing.Month: {"chaque mois", "tous les %d mois"}, billing.Year: {"chaque année", "tous les %d ans"}}},
	"pt": {Plan: "Plano", Status: "Estado", Period: "Período atual", Due: "Há um pagamento em falta", Pay: "Pagar este período",
		NextAttempt: "Se não for pago, será enviada uma nova fatura em", PaidUntil: "Pago até", Ends: "A subscrição termina nessa data.",
		Ended: "Esta subscrição terminou em", Starts: "Começa em", Return: "Voltar à loja",
		Statuses: map[billing.Status]string{billing.StatusPending: "À espera do primeiro pagamento", billing.StatusActive: "Ativa",
			billing.StatusPastDue: "Pagamento em atraso", billing.StatusCancelled: "Cancelada", billing.StatusExpired: "Terminada"},
		Every: map[billing.Interval][2]string{billing.Day: {"todos os dias", "a cada %d dias"}, billing.Week: {"todas as semanas", "a cada %d semanas"},
			billing.Month: {"todos os meses", "a cada %d meses"}, billing.Year: {"todos os anos", "a cada %d anos"}}},
	"ru": {Plan: "Тариф", Status: "Статус", Period: "Текущий период", Due: "Ожидается оплата", Pay: "Оплатить этот период",
		NextAttempt: "Если оплаты не будет, новый счёт придёт", PaidUntil: "Оплачено до", Ends: "Тогда подписка закончится.",
		Ended: "Подписка закончилась", Starts: "Начинается", Return: "Вернуться в магазин",
		Statuses: map[billing.Status]string{billing.StatusPending: "Ожидает первой оплаты", billing.StatusActive: "Активна",
			billing.StatusPastDue: "Оплата просрочена", billing.StatusCancelled: "Отменена", billing.StatusExpired: "Завершена"},
		Every: map[billing.Interval][2]string{billing.Day: {"каждый день", "раз в %d дн."}, billing.Week: {"каждую неделю", "раз в %d нед."},
			billing.Month: {"каждый месяц", "раз в %d мес."}, billing.Year: {"каждый год", "раз в %d г."}}},
	"zh": {Plan: "方案", Status: "状态", Period: "当前周期", Due: "有一笔款项待支付", Pay: "支付本周期",
		NextAttempt: "如未支付，新账单将于以下日期发送：", PaidUntil: "已付至", Ends: "订阅将于届时结束。",
		Ended: "此订阅已结束于", Starts: "开始日期", Return: "返回商店",
		Statuses: map[billing.Status]string{billing.StatusPending: "等待首次付款", billing.StatusActive: "有效",
			billing.StatusPastDue: "付款逾期", billing.StatusCancelled: "已取消", billing.StatusExpired: "已结束"},
		Every: map[billing.Interval][2]string{billing.Day: {"每天", "每 %d 天"}, billing.Week: {"每周", "每 %d 周"},
			billing.Month: {"每月", "每 %d 个月"}, billing.Year: {"每年", "每 %d 年"}}},
	"ja": {Plan: "プラン", Status: "状態", Period: "現在の期間", Due: "お支払いが必要です", Pay: "この期間を支払う",
		NextAttempt: "未払いの場合、新しい請求書の送付日：", PaidUntil: "支払済み期限", Ends: "サブスクリプションはその時点で終了します。",
		Ended: "このサブスクリプションの終了日", Starts: "開始日", Return: "ショップに戻る",
		Statuses: map[billing.Status]string{billing.StatusPending: "初回の支払い待ち", billing.StatusActive: "有効",
			billing.StatusPastDue: "支払い期限超過", billing.StatusCancelled: "解約済み", billing.StatusExpired: "終了"},
		Every: map[billing.Interval][2]string{billing.Day: {"毎日", "%d日ごと"}, billing.Week: {"毎週", "%d週間ごと"},
			billing.Month: {"毎月", "%dか月ごと"}, billing.Year: {"毎年", "%d年ごと"}}},
	"tr": {Plan: "Plan", Status: "Durum", Period: "Geçerli dönem", Due: "Bir ödeme bekleniyor", Pay: "Bu dönemi öde",
		NextAttempt: "Ödenmezse yeni fatura şu tarihte gönderilir:", PaidUntil: "Şu tarihe kadar ödendi:", Ends: "Abonelik o tarihte sona erer.",
		Ended: "Bu abonelik şu tarihte sona erdi:", Starts: "Başlangıç:", Return: "Mağazaya dön",
		Statuses: map[billing.Status]string{billing.StatusPending: "İlk ödeme bekleniyor", billing.StatusActive: "Etkin",
			billing.StatusPastDue: "Ödeme gecikti", billing.StatusCancelled: "İptal edildi", billing.StatusExpired: "Sona erdi"},
		Every: map[billing.Interval][2]string{billing.Day: {"her gün", "her %d günde bir"}, billing.Week: {"her hafta", "her %d haftada bir"},
			billing.Month: {"her ay", "her %d ayda bir"}, billing.Year: {"her yıl", "her %d yılda bir"}}},
}

type subscriptionView struct {
	T                            subscriptionTexts
	C                            texts // the checkout page's shared words
	Static, Logo, Store, Product string
	Test                         bool
	Status, StatusText           string
	Price, Every, Period         string
	PayURL                       string
	NextAttempt, NextAttemptISO  string
	PaidUntil, PaidUntilISO      string
	Ends                         bool
	Ended, EndedISO              string
	Starts, StartsISO            string
	ReturnURL                    string
}

// findSubscription looks an id up in both modes (ids are unguessable and unique).
func (h *Handler) findSubscription(r *http.Request) (*billing.Subscription, error) {
	var err error
	for _, m := range []asset.Mode{asset.Test, asset.Live} {
		var s *billing.Subscription
		if s, err = h.gw.Billing().Get(r.Context(), m, r.PathValue("id")); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func (h *Handler) subscriptionPage(w http.ResponseWriter, r *http.Request) error {
	lang := language(r.Header.Get("Accept-Language"))
	t := subscriptionLanguages[lang.Lang]
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Language", lang.Lang)
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the id is in the URL
	s, err := h.findSubscription(r)
	if errors.Is(err, billing.ErrNotFound) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		return notFoundTmpl.Execute(w, lang)
	} else if err != nil {
		return err
	}
	day := func(at time.Time) (string, string) {
		return at.UTC().Format("2006-01-02"), at.UTC().Format(time.RFC3339)
	}
	v := subscriptionView{T: t, C: lang, Static: "../static", Store: h.opts.StoreName, Test: s.Mode == asset.Test,
		Status: string(s.Status), StatusText: t.Statuses[s.Status], Price: price(s.Amount, s.Currency), ReturnURL: safeURL(s.ReturnURL)}
	if every := t.Every[s.Interval]; s.IntervalCount == 1 {
		v.Every = every[0]
	} else {
		v.Every = fmt.Sprintf(every[1], s.IntervalCount)
	}
	if p, err := h.gw.Billing().GetProduct(r.Context(), s.Mode, s.ProductID); err == nil {
		v.Product = p.Name
	} else if !errors.Is(err, billing.ErrNotFound) {
		return err
	}
	if h.logoType != "" {
		v.Logo = "../static/logo"
	}
	if s.SubMerchantID != "" { // the sub-merchant's name and logo, not the operator's
		if v.Store, v.Logo, err = h.subBrand(w, r, s.Mode, s.SubMerchantID); err != nil {
			return err
		}
	}
	if s.CurrentPeriodStart != nil && s.CurrentPeriodEnd != nil {
		from, _ := day(*s.CurrentPeriodStart)
		to, _ := day(*s.CurrentPeriodEnd)
		v.Period = from + " – " + to
	}
	switch {
	case s.Status.Ended() && s.EndedAt != nil:
		v.Ended, v.EndedISO = day(*s.EndedAt)
	case s.CurrentPeriod >= 0 && !s.CurrentPeriodPaid && s.LatestInvoiceID != "":
		v.PayURL = "../checkout/" + s.LatestInvoiceID
		if s.NextPaymentAttempt != nil {
			v.NextAttempt, v.NextAttemptISO = day(*s.NextPaymentAttempt)
		}
	case s.CurrentPeriodPaid && s.CurrentPeriodEnd != nil:
		v.PaidUntil, v.PaidUntilISO = day(*s.CurrentPeriodEnd)
		v.Ends = s.CancelAtPeriodEnd
	case s.CurrentPeriod < 0:
		v.Starts, v.StartsISO = day(s.BillingCycleAnchor)
	}
	var buf bytes.Buffer
	if err := subscriptionTmpl.Execute(&buf, v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}
